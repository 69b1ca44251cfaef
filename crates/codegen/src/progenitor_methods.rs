//! The client methods in progenitor's output, parsed, for the generators that wrap them
//! (the public v2 methods, the JS bindings).

use crate::Error;
use proc_macro2::TokenStream;

/// progenitor's output, parsed once.
pub struct Methods(syn::File);

impl Methods {
    pub fn parse(progenitor: &TokenStream) -> Result<Self, Error> {
        syn::parse2(progenitor.clone())
            .map(Self)
            .map_err(|e| Error(format!("progenitor output does not parse: {e}")))
    }

    /// Every `pub async fn` of its inherent `impl Client` blocks: one per operation.
    pub fn iter(&self) -> impl Iterator<Item = &syn::ImplItemFn> {
        self.0
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Impl(block) if block.trait_.is_none() && is_client(&block.self_ty) => {
                    Some(block)
                }
                _ => None,
            })
            .flat_map(|block| block.items.iter())
            .filter_map(|member| match member {
                syn::ImplItem::Fn(f)
                    if f.sig.asyncness.is_some() && matches!(f.vis, syn::Visibility::Public(_)) =>
                {
                    Some(f)
                }
                _ => None,
            })
    }
}

impl std::fmt::Debug for Methods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Methods")
            .field("count", &self.iter().count())
            .finish()
    }
}

fn is_client(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident("Client"))
}
