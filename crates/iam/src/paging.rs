//! IAM's Marker/MaxItems paging: a page answers `IsTruncated` and, when
//! truncated, the `Marker` to pass for the next page. Markers are the sort
//! key of the last item returned, so a page stays correct when items before
//! it are added or deleted between calls.

/// Items a page holds when the request names no MaxItems (AWS's default).
pub const MAX_ITEMS_DEFAULT: usize = 100;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

/// The page of `items` (sorted by strictly increasing key) after `marker`,
/// at most `max_items` long (the model bounds it to 1..=1000).
pub(crate) fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Page<T> {
    let max = max_items.map_or(MAX_ITEMS_DEFAULT, |n| n.max(1) as usize);
    let mut out = Vec::new();
    let mut last_key: Option<String> = None;
    let mut is_truncated = false;
    for (key, item) in items {
        debug_assert!(last_key.as_ref().is_none_or(|last| *last < key), "page keys must increase");
        if marker.is_some_and(|m| key.as_str() <= m) {
            continue;
        }
        if out.len() == max {
            is_truncated = true;
            break;
        }
        out.push(item);
        last_key = Some(key);
    }
    Page { items: out, is_truncated, marker: if is_truncated { last_key } else { None } }
}

/// The sort key of the `index`th item of a list kept in its own order.
pub(crate) fn index_key(index: usize) -> String {
    format!("{index:010}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (index_key(i), i)).collect()
    }

    #[test]
    fn pages_follow_markers_to_the_end() {
        let first = page(keyed(5), None, Some(2));
        assert_eq!(first, Page { items: vec![0, 1], is_truncated: true, marker: Some(index_key(1)) });
        let second = page(keyed(5), first.marker.as_deref(), Some(2));
        assert_eq!(second.items, vec![2, 3]);
        let last = page(keyed(5), second.marker.as_deref(), Some(2));
        assert_eq!(last, Page { items: vec![4], is_truncated: false, marker: None });
        let exact = page(keyed(2), None, Some(2));
        assert_eq!(exact, Page { items: vec![0, 1], is_truncated: false, marker: None });
        assert_eq!(page(keyed(150), None, None).items.len(), MAX_ITEMS_DEFAULT);
    }
}
