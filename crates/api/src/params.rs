//! Query parameters shared by every list: `page` (from 1), `page_size` (1–500, default 20)
//! and `sort` (a field name, `-` in front for descending).

use crate::error::{ApiError, HttpFailure};
use ironloom_core::entity::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest, Sort, SortField};

pub fn page_request<F: SortField>(
    page: Option<u32>,
    page_size: Option<u32>,
    sort: Option<&str>,
    default_sort: Option<&str>,
) -> Result<PageRequest<F>, ApiError> {
    let page = page.unwrap_or(1);
    if page == 0 {
        return Err(HttpFailure::InvalidQuery {
            detail: "page: must be 1 or more".into(),
        }
        .into());
    }
    let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page_size == 0 || page_size > MAX_PAGE_SIZE {
        return Err(HttpFailure::InvalidQuery {
            detail: format!("page_size: must be between 1 and {MAX_PAGE_SIZE}"),
        }
        .into());
    }
    let sort = match sort.or(default_sort) {
        None => Sort::default(),
        Some(s) => Sort::parse(s).ok_or_else(|| {
            ApiError::from(HttpFailure::InvalidQuery {
                detail: format!(
                    "sort: must be one of {} (prefix - for descending)",
                    F::NAMES.join(", ")
                ),
            })
        })?,
    };
    Ok(PageRequest {
        page,
        page_size,
        sort,
    })
}

/// Lets a JSON field tell "absent" (keep) from `null` (clear): `Option<Option<T>>`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}
