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

/// `T` out of `Option<T>` (any path ending in `Option`), as progenitor and typify write it.
pub(crate) fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    match last_segment_args(ty, "Option")?.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// The generic arguments of `ty` when its path's last segment is `name`.
pub(crate) fn last_segment_args<'a>(
    ty: &'a syn::Type,
    name: &str,
) -> Option<&'a syn::punctuated::Punctuated<syn::GenericArgument, syn::Token![,]>> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != name {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => Some(&a.args),
        _ => None,
    }
}
