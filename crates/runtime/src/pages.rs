//! Paginated operations as a [`Stream`] of items: what the generated request builders'
//! `.stream()` returns.
//!
//! A [`Pages`] asks for one page at a time, when its consumer wants an item the pages so far
//! did not hold, through a closure the generated builder gives it: a clone of the builder
//! with the page's position set, sent like any call (paced, retried, its per-call options
//! applied). It ends where the operation's docs say the pages end:
//!
//! - offset pages (`limit`/`offset`, `take`/`skip`): an empty page, a page shorter than the
//!   page size asked for (or documented), or the reply's `total` reached;
//! - cursor pages (`after` / `nextCursor`): an empty page or a reply without a next cursor.
//!
//! It never asks for the same page twice: a reply that names a position already asked for
//! (a repeated cursor), or a page at another offset than the one asked for, ends the stream
//! with an error (a malformed reply) rather than a loop.

use crate::error::{Error, V1Code};
use futures_core::Stream;
use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Where a page starts: an offset (rows skipped) or an opaque cursor.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    Offset(u64),
    Cursor(i64),
}

/// One page as the generated code reads it from a reply.
#[doc(hidden)]
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The reply's `total` (offset pages), where it has one.
    pub total: Option<u64>,
    /// The offset the reply says it starts at, where it echoes one.
    pub offset: Option<u64>,
    /// The reply's next cursor (cursor pages).
    pub next_cursor: Option<i64>,
}

#[doc(hidden)]
#[cfg(not(target_arch = "wasm32"))]
pub type PageFuture<T, C> =
    Pin<Box<dyn Future<Output = Result<Page<T>, Error<C>>> + Send + 'static>>;
#[doc(hidden)]
#[cfg(target_arch = "wasm32")]
pub type PageFuture<T, C> = Pin<Box<dyn Future<Output = Result<Page<T>, Error<C>>> + 'static>>;
#[cfg(not(target_arch = "wasm32"))]
type Fetch<T, C> = Box<dyn FnMut(Position) -> PageFuture<T, C> + Send + 'static>;
#[cfg(target_arch = "wasm32")]
type Fetch<T, C> = Box<dyn FnMut(Position) -> PageFuture<T, C> + 'static>;

/// The items of every page of a paginated operation, fetched lazily, in order: what a
/// paginated request builder's `.stream()` returns. Each page is one call (paced, retried,
/// with the builder's `.timeout(..)` and headers); the first error is the stream's last item.
/// The API crates name it with their error type (`sonoran_cad::Pages<T>`); their docs show it
/// in use.
#[must_use = "a stream does nothing until it is polled"]
pub struct Pages<T, C> {
    operation: &'static str,
    fetch: Fetch<T, C>,
    /// The position of the next page to ask for; `None` once the pages ended.
    next: Option<Position>,
    /// The page size asked for (or documented), for the short-page rule.
    size: Option<u64>,
    requested: HashSet<Position>,
    pending: Option<(Position, PageFuture<T, C>)>,
    buffer: VecDeque<T>,
    /// An error found in a page whose items come first.
    failed: Option<Error<C>>,
    pages: u32,
}

impl<T, C> std::fmt::Debug for Pages<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &self.operation)
            .field("next", &self.next)
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<T, C: V1Code> Pages<T, C> {
    /// Pages of `operation` from `start`; `size` is the page size asked for (the documented
    /// default where the caller set none), `None` where neither is known.
    #[doc(hidden)]
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(
        operation: &'static str,
        start: Position,
        size: Option<u64>,
        fetch: impl FnMut(Position) -> PageFuture<T, C> + Send + 'static,
    ) -> Self {
        Self::from_boxed(operation, start, size, Box::new(fetch))
    }

    /// Pages of `operation` from `start`; `size` is the page size asked for (the documented
    /// default where the caller set none), `None` where neither is known.
    #[doc(hidden)]
    #[cfg(target_arch = "wasm32")]
    pub fn new(
        operation: &'static str,
        start: Position,
        size: Option<u64>,
        fetch: impl FnMut(Position) -> PageFuture<T, C> + 'static,
    ) -> Self {
        Self::from_boxed(operation, start, size, Box::new(fetch))
    }

    fn from_boxed(
        operation: &'static str,
        start: Position,
        size: Option<u64>,
        fetch: Fetch<T, C>,
    ) -> Self {
        Self {
            operation,
            fetch,
            next: Some(start),
            size,
            requested: HashSet::new(),
            pending: None,
            buffer: VecDeque::new(),
            failed: None,
            pages: 0,
        }
    }

    /// The next item, or `None` once the pages ended (after an error, the error is the last
    /// item): the stream read without a futures crate (`while let Some(item) =
    /// pages.next().await`).
    pub async fn next(&mut self) -> Option<Result<T, Error<C>>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The pages asked for so far.
    pub fn pages_requested(&self) -> u32 {
        self.pages
    }

    fn malformed(&self, reason: String) -> Error<C> {
        // The page itself was a good reply (its attempts and request id went with its
        // items); what is wrong is where it leads.
        Error::MalformedReply {
            status: 200,
            body: String::new(),
            reason: format!("`{}` pagination: {reason}", self.operation),
            operation: Some(self.operation),
            attempts: 1,
            request_id: None,
        }
    }

    /// Reads a page that started at `at`: its items, and where the next one starts (or the end).
    /// A page that is not the one asked for is an error (its items are not given); a page
    /// that points back to one already asked for gives its items, then the error.
    fn take_page(&mut self, at: Position, page: Page<T>) -> Result<(), Error<C>> {
        self.next = None;
        if let (Position::Offset(offset), Some(echoed)) = (at, page.offset)
            && echoed != offset
            && !page.items.is_empty()
        {
            return Err(self.malformed(format!(
                "asked for the page at offset {offset}, the reply is the page at offset {echoed}; stopping rather than asking for pages again"
            )));
        }
        let count = page.items.len() as u64;
        self.buffer.extend(page.items);
        if count == 0 {
            return Ok(());
        }
        let next = match at {
            Position::Offset(offset) => {
                let next = offset + count;
                if page.total.is_some_and(|total| next >= total)
                    || self.size.is_some_and(|size| count < size)
                {
                    return Ok(());
                }
                Position::Offset(next)
            }
            Position::Cursor(_) => match page.next_cursor {
                None => return Ok(()),
                Some(cursor) => Position::Cursor(cursor),
            },
        };
        if self.requested.contains(&next) {
            let what = match next {
                Position::Offset(o) => format!("offset {o}"),
                Position::Cursor(c) => format!("cursor {c}"),
            };
            self.failed = Some(self.malformed(format!(
                "the reply points to {what}, a page already asked for; stopping rather than asking for it again"
            )));
            return Ok(());
        }
        self.next = Some(next);
        Ok(())
    }
}

// Nothing of a `Pages` is pinned in place: the page future is boxed.
impl<T, C> Unpin for Pages<T, C> {}

impl<T, C: V1Code> Stream for Pages<T, C> {
    type Item = Result<T, Error<C>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some((at, future)) = this.pending.as_mut() {
                let at = *at;
                let result = match future.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => result,
                };
                this.pending = None;
                match result.and_then(|page| this.take_page(at, page)) {
                    Ok(()) => continue,
                    Err(e) => {
                        this.next = None;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
            if let Some(e) = this.failed.take() {
                return Poll::Ready(Some(Err(e)));
            }
            let Some(at) = this.next.take() else {
                return Poll::Ready(None);
            };
            this.requested.insert(at);
            this.pages += 1;
            this.pending = Some((at, (this.fetch)(at)));
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let more = self.next.is_some() || self.pending.is_some();
        (
            self.buffer.len(),
            if more { None } else { Some(self.buffer.len()) },
        )
    }
}

/// The page at `at` cannot be asked for: its position does not fit the operation's
/// parameter (an offset past `i64::MAX`). The stream ends with this error.
#[doc(hidden)]
pub fn unaddressable<T: Send + 'static, C: V1Code + Send + 'static>(
    operation: &'static str,
    at: Position,
) -> PageFuture<T, C> {
    let error = Error::InvalidRequest(format!(
        "`{operation}` pagination: the next page ({at:?}) does not fit the operation's parameter"
    ));
    Box::pin(std::future::ready(Err(error)))
}

/// The stream cannot ask for its first page: the request has nowhere to put the page's
/// position (`reason`; a v1 call whose `data` holds no request object). The stream ends with
/// this error, nothing sent.
#[doc(hidden)]
pub fn refused<T: Send + 'static, C: V1Code + Send + 'static>(
    operation: &'static str,
    reason: &str,
) -> PageFuture<T, C> {
    let error = Error::InvalidRequest(format!("`{operation}` pagination: {reason}"));
    Box::pin(std::future::ready(Err(error)))
}
