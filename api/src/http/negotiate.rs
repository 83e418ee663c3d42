//! Content negotiation: the same report as JSON or, for `Accept: text/csv`, as CSV.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::http::error::ApiError;

/// Whether the client asked for CSV: a report's `.csv` path, or `Accept: text/csv`.
pub fn wants_csv(req: &HttpRequest) -> bool {
    req.path().ends_with(".csv")
        || req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// RFC 4180 CSV with a header row, via the csv crate (empty cells for `null`).
pub fn csv_response<T: Serialize>(rows: &[T], filename: &str) -> Result<HttpResponse, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8; header=present")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .body(bytes))
}
