//! The web console (`console/`, built with `npm run build` into `console/dist`), served at
//! `/`: files by path, and `index.html` for every other path outside `/api/`, so that the
//! single-page app's own addresses (`/devices/…`) work when opened directly. Hashed assets
//! are cached for a year; `index.html` is revalidated every time, so a new version is
//! picked up at the next page load.

use std::path::{Path, PathBuf};

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use ironloom_api::error::{ApiError, ErrorBody, HttpFailure};
use ironloom_core::i18n::Locale;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// Where the built console is: the configured directory, else `console` beside the
/// binary (an installed copy), else `console/dist` under the working directory (a
/// checkout). `None` when none of them has an `index.html`.
pub fn locate(configured: &str) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if !configured.is_empty() {
        candidates.push(PathBuf::from(configured));
    } else {
        if let Some(dir) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            candidates.push(dir.join("console"));
        }
        candidates.push(PathBuf::from("console/dist"));
    }
    candidates
        .into_iter()
        .find(|d| d.join("index.html").is_file())
}

/// Answers every request no route took.
pub async fn fallback(dir: Option<PathBuf>, req: Request) -> Response {
    let path = req.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        let locale = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Locale::from_accept_language)
            .unwrap_or_default();
        let e = ApiError::from(HttpFailure::NoRoute);
        let body = ErrorBody {
            code: e.code().into(),
            message: e.message(locale),
        };
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    let Some(dir) = dir else {
        return not_built(path);
    };
    let index = dir.join("index.html");
    let immutable = path.starts_with("/assets/");
    // A missing asset is a 404, not the app: a page from an older build asking for its
    // old chunk must fail clearly rather than load HTML as a script.
    let mut res = if immutable {
        match ServeDir::new(&dir).oneshot(req).await {
            Ok(r) => r.into_response(),
            Err(never) => match never {},
        }
    } else {
        match ServeDir::new(&dir)
            .fallback(ServeFile::new(&index))
            .oneshot(req)
            .await
        {
            Ok(r) => r.into_response(),
            Err(never) => match never {},
        }
    };
    let cache = if immutable && res.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

fn not_built(path: &str) -> Response {
    let page = Html(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Ironloom</title></head><body>\
         <h1>Ironloom 工业互联网平台</h1>\
         <p>The platform is running, but the web console is not built. Build it with \
         <code>npm --prefix console ci &amp;&amp; npm --prefix console run build</code> \
         (or start with <code>scripts/demo.sh</code>), or set <code>[http] console_dir</code>.</p>\
         <p>平台运行中，但未找到控制台页面。请用上面的命令构建控制台，或设置 <code>[http] console_dir</code>。</p>\
         <ul><li><a href=\"/api/docs/\">API documentation / 接口文档</a></li>\
         <li><a href=\"/api/v1/openapi.json\">OpenAPI 3</a></li>\
         <li><a href=\"/metrics\">Prometheus metrics / 监控指标</a></li>\
         <li><a href=\"/readyz\">Readiness / 就绪状态</a></li></ul></body></html>",
    );
    if path == "/" {
        page.into_response()
    } else {
        (StatusCode::NOT_FOUND, page).into_response()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::body::{Body, to_bytes};

    async fn get(dir: Option<PathBuf>, path: &str) -> (StatusCode, String, String) {
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        let res = fallback(dir, req).await;
        let status = res.status();
        let cache = res
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        (status, cache, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn serves_files_the_app_for_its_own_paths_and_json_under_api() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("index.html"), "<div id=app></div>").unwrap();
        std::fs::create_dir(tmp.path().join("assets")).unwrap();
        std::fs::write(tmp.path().join("assets/app-1234.js"), "console.log(1)").unwrap();
        let dir = Some(tmp.path().to_path_buf());

        let (s, cache, body) = get(dir.clone(), "/assets/app-1234.js").await;
        assert_eq!((s, body.as_str()), (StatusCode::OK, "console.log(1)"));
        assert!(cache.contains("immutable"), "{cache}");

        for path in ["/", "/devices/3f2a", "/login?next=%2F"] {
            let (s, cache, body) = get(dir.clone(), path).await;
            assert_eq!(
                (s, body.as_str()),
                (StatusCode::OK, "<div id=app></div>"),
                "{path}"
            );
            assert_eq!(cache, "no-cache", "{path}");
        }
        // A missing asset is not answered with the app (a stale page would load HTML as JS).
        let (s, cache, _) = get(dir.clone(), "/assets/gone-9999.js").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(cache, "no-cache");

        let (s, _, body) = get(dir.clone(), "/api/v1/nothing-here").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(body.contains("\"code\":\"no_route\""), "{body}");
        // No way out of the directory.
        let (_, _, body) = get(dir, "/../../etc/passwd").await;
        assert!(!body.contains("root:"), "{body}");
    }

    #[tokio::test]
    async fn without_a_built_console_the_root_says_how_to_build_it() {
        let (s, _, body) = get(None, "/").await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("npm --prefix console"), "{body}");
        let (s, _, _) = get(None, "/devices").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(locate("/no/such/dir").is_none());
    }
}
