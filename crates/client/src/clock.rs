//! Wall-clock time that also works on wasm32, where `SystemTime::now` panics.

use std::time::SystemTime;

pub(crate) fn now_system() -> SystemTime {
    #[cfg(target_arch = "wasm32")]
    {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs_f64(js_sys::Date::now() / 1000.0)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        SystemTime::now()
    }
}
