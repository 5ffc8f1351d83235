//! One feed from the local disk (a path or a `file://` URL in
//! `planet.yaml`): read whole under the same size cap as a download, with
//! its `file://` URL as the address its relative links resolve against.

use std::path::Path;
use std::sync::Arc;

use super::error::FetchError;
use super::types::Fetched;

pub(super) async fn read_file(path: &Path, max_body_mb: u64) -> Result<Fetched, FetchError> {
    let err = |e: std::io::Error| FetchError::File {
        path: path.display().to_string(),
        source: Arc::new(e),
    };
    let meta = tokio::fs::metadata(path).await.map_err(err)?;
    if meta.len() > max_body_mb * 1024 * 1024 {
        return Err(FetchError::TooLarge(max_body_mb));
    }
    let body = tokio::fs::read(path).await.map_err(err)?;
    let final_url = url::Url::from_file_path(path)
        .map(|u| u.to_string())
        .unwrap_or_else(|()| path.display().to_string());
    Ok(Fetched {
        body,
        final_url,
        ..Fetched::default()
    })
}
