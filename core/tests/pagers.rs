//! The sans-IO pagers walk listings to the end and stop on bad cursors.

use fastio_core::api::{Call, Client, OrgsCall, Profile, StorageCall};
use fastio_core::config::ClientConfig;
use fastio_core::http::HttpResponse;
use fastio_core::pager::{CursorPager, MAX_CURSOR_LEN, OffsetPager, PageError};
use serde_json::json;

fn client() -> Client {
    Client::new(ClientConfig::with_api_key("http://127.0.0.1:1/current/", "k").unwrap()).unwrap()
}

fn ok(v: serde_json::Value) -> HttpResponse {
    HttpResponse::new(
        200,
        serde_json::to_vec(&json!({"result": true, "response": v})).unwrap(),
    )
}

#[test]
fn offset_pager_follows_has_more_then_stops() {
    let c = client();
    let mut p = OffsetPager::new(
        Call::Orgs(OrgsCall::AllWorkspaces {
            limit: None,
            offset: None,
        }),
        2,
    )
    .unwrap();
    let mut urls = Vec::new();
    let pages = [
        json!({"workspaces": [{"id": 1}, {"id": 2}], "pagination": {"has_more": true}}),
        json!({"workspaces": [{"id": 3}, {"id": 4}], "pagination": {"has_more": "yes"}}),
        json!({"workspaces": [{"id": 5}], "pagination": {"has_more": false}}),
    ];
    for page in pages {
        let req = p.next_request(&c).expect("a page is due").unwrap();
        urls.push(req.url);
        p.on_response(&c, &ok(page)).unwrap();
    }
    assert!(p.next_request(&c).is_none());
    assert!(p.is_done());
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:1/current/workspaces/all/?limit=2&offset=0",
            "http://127.0.0.1:1/current/workspaces/all/?limit=2&offset=2",
            "http://127.0.0.1:1/current/workspaces/all/?limit=2&offset=4",
        ]
    );
}

#[test]
fn offset_pager_without_has_more_stops_on_a_short_page() {
    let c = client();
    let mut p = OffsetPager::new(
        Call::Orgs(OrgsCall::List {
            limit: None,
            offset: None,
        }),
        3,
    )
    .unwrap();
    p.on_response(&c, &ok(json!({"orgs": [{"id": 1}, {"id": 2}, {"id": 3}]})))
        .unwrap();
    assert!(!p.is_done());
    p.on_response(&c, &ok(json!({"orgs": [{"id": 4}]})))
        .unwrap();
    assert!(p.is_done());
}

#[test]
fn offset_pager_refuses_unpaged_calls_and_reports_errors() {
    let c = client();
    assert!(matches!(
        OffsetPager::new(Call::Orgs(OrgsCall::Details { org_id: "1".into() }), 10),
        Err(PageError::NotPageable(_))
    ));
    let mut p = OffsetPager::new(
        Call::Orgs(OrgsCall::List {
            limit: None,
            offset: None,
        }),
        3,
    )
    .unwrap();
    let err = p
        .on_response(&c, &HttpResponse::new(503, "down"))
        .unwrap_err();
    assert!(matches!(err, PageError::Api(e) if e.status == Some(503)));
    assert!(!p.is_done(), "a failed page can be retried");
}

#[test]
fn cursor_pager_walks_and_refuses_a_repeated_cursor() {
    let c = client();
    let list = Call::Storage(StorageCall::List {
        profile: Profile::Workspace("9".into()),
        folder: "root".into(),
        sort_by: None,
        sort_dir: None,
        page_size: Some(100),
        cursor: None,
    });
    let mut p = CursorPager::new(list.clone()).unwrap();
    p.on_response(
        &c,
        &ok(json!({"nodes": [{"id": "a"}], "next_cursor": "c1"})),
    )
    .unwrap();
    let req = p.next_request(&c).unwrap().unwrap();
    assert!(
        req.url.ends_with("list/?page_size=100&cursor=c1"),
        "{}",
        req.url
    );
    p.on_response(
        &c,
        &ok(json!({"nodes": [{"id": "b"}], "pagination": {"next_cursor": "c2"}})),
    )
    .unwrap();
    p.on_response(
        &c,
        &ok(json!({"nodes": [], "pagination": {"has_more": false, "next_cursor": "c3"}})),
    )
    .unwrap();
    assert!(p.is_done());

    let mut p = CursorPager::new(list).unwrap();
    p.on_response(&c, &ok(json!({"nodes": [], "cursor": "same"})))
        .unwrap();
    let err = p
        .on_response(&c, &ok(json!({"nodes": [], "cursor": "same"})))
        .unwrap_err();
    assert!(err.to_string().contains("repeated cursor"));
    assert!(p.is_done(), "a looping server cannot make the walk endless");
}

/// A server that always says "more" (new cursors, or `has_more` with full
/// pages) cannot keep a host walking: the request after the bound is a
/// typed error, and every page up to it was returned whole.
#[test]
fn endless_listings_stop_at_the_page_bound() {
    let c = client();
    let list = Call::Storage(StorageCall::List {
        profile: Profile::Workspace("9".into()),
        folder: "root".into(),
        sort_by: None,
        sort_dir: None,
        page_size: Some(100),
        cursor: None,
    });
    let mut p = CursorPager::new(list).unwrap().with_max_pages(50);
    let mut pages = 0;
    let err = loop {
        match p.next_request(&c).expect("the walk is not over") {
            Ok(_) => {}
            Err(e) => break e,
        }
        p.on_response(
            &c,
            &ok(json!({"nodes": [{"id": "x"}], "next_cursor": format!("c{pages}")})),
        )
        .unwrap();
        pages += 1;
        assert!(pages <= 50, "read past the bound");
    };
    assert_eq!(pages, 50);
    assert!(matches!(err, PageError::TooManyPages { max: 50 }), "{err}");

    let search = Call::Orgs(OrgsCall::List {
        limit: None,
        offset: None,
    });
    let mut p = OffsetPager::new(search, 2).unwrap().with_max_pages(7);
    let mut pages = 0;
    while let Some(Ok(_)) = p.next_request(&c) {
        p.on_response(
            &c,
            &ok(json!({"orgs": [{"id": "1"}, {"id": "2"}], "pagination": {"has_more": true}})),
        )
        .unwrap();
        pages += 1;
        assert!(pages <= 7, "read past the bound");
    }
    assert_eq!(pages, 7);
    assert!(matches!(
        p.next_request(&c),
        Some(Err(PageError::TooManyPages { max: 7 }))
    ));

    // A cursor too long to remember ends the walk with a typed error.
    let list = Call::Storage(StorageCall::List {
        profile: Profile::Workspace("9".into()),
        folder: "root".into(),
        sort_by: None,
        sort_dir: None,
        page_size: None,
        cursor: None,
    });
    let mut p = CursorPager::new(list).unwrap();
    let long = "c".repeat(MAX_CURSOR_LEN + 1);
    let err = p
        .on_response(&c, &ok(json!({"nodes": [], "next_cursor": long})))
        .unwrap_err();
    assert!(err.to_string().contains("bound"), "{err}");
    assert!(p.is_done());
}
