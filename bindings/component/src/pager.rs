//! `fastio:core/requests.pager`: a paged listing walked by the core.

use std::cell::RefCell;

use fastio_core::api::{Call, Client};
use fastio_core::pager::Pager as CorePager;

use crate::convert::{client, page, page_error, request, response};
use crate::exports::fastio::core::requests::{self, Page};
use crate::exports::fastio::core::types::{
    ClientConfig as WitConfig, Error, HttpRequest, HttpResponse,
};

/// A listing walk. The pager needs `&mut`; component resources are reached
/// through `&self`, and a component instance is single-threaded.
pub struct Walk {
    client: Client,
    pager: RefCell<CorePager>,
}

impl requests::GuestPager for Walk {
    fn create(
        config: WitConfig,
        call_json: String,
        max_pages: Option<u32>,
    ) -> Result<requests::Pager, Error> {
        let client = client(&config).map_err(Error::Config)?;
        let call: Call =
            serde_json::from_str(&call_json).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let mut pager = CorePager::new(call).map_err(page_error)?;
        if let Some(max) = max_pages {
            pager = pager.with_max_pages(max);
        }
        Ok(requests::Pager::new(Walk {
            client,
            pager: RefCell::new(pager),
        }))
    }

    fn next_request(&self) -> Result<Option<HttpRequest>, Error> {
        match self.pager.borrow().next_request(&self.client) {
            None => Ok(None),
            Some(r) => r.map(|r| Some(request(r))).map_err(page_error),
        }
    }

    fn on_response(&self, response_in: HttpResponse) -> Result<Page, Error> {
        let got = self
            .pager
            .borrow_mut()
            .on_response(&self.client, &response(response_in))
            .map_err(page_error)?;
        page(got)
    }

    fn is_done(&self) -> bool {
        self.pager.borrow().is_done()
    }
}
