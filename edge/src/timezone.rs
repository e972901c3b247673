//! Wall-clock times in the company's CLOSEM timezone, resolved with the runtime's `Intl` (workerd
//! ships the full IANA database, so the worker carries none of its own).

use closem_shared::{local_as_utc, LocalDateTime};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `Intl.DateTimeFormat`, bound here with `catch` because an unknown timeZone throws a
    /// RangeError, which js-sys' binding would turn into an abort.
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    type ZoneFormat;

    #[wasm_bindgen(constructor, catch, js_namespace = Intl, js_class = "DateTimeFormat")]
    fn new(locales: &str, options: &JsValue) -> Result<ZoneFormat, JsValue>;

    #[wasm_bindgen(method, js_name = formatToParts)]
    fn format_to_parts(this: &ZoneFormat, epoch_millis: f64) -> js_sys::Array;
}

/// A timezone the runtime knows, ready to resolve wall-clock times.
pub(crate) struct Zone {
    format: ZoneFormat,
}

impl Zone {
    /// `None` when the runtime does not know `name` (the config check reports it).
    pub(crate) fn new(name: &str) -> Option<Zone> {
        let options = js_sys::Object::new();
        let set = |key: &str, value: &str| {
            js_sys::Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()
        };
        set("timeZone", name)?;
        set("hourCycle", "h23")?;
        for key in ["year", "month", "day", "hour", "minute", "second"] {
            set(key, "numeric")?;
        }
        ZoneFormat::new("en-US", &options)
            .ok()
            .map(|format| Zone { format })
    }

    /// The wall clock in this zone at `unix` seconds, read back as if it were UTC.
    fn wall_as_utc(&self, unix: i64) -> Option<i64> {
        let parts = self.format.format_to_parts(unix as f64 * 1000.0);
        let (mut year, mut month, mut day, mut hour, mut minute, mut second) =
            (None, None, None, None, None, None);
        for part in parts.iter() {
            let part: js_sys::Object = part.unchecked_into();
            let kind = js_sys::Reflect::get(&part, &"type".into())
                .ok()?
                .as_string()?;
            let value: i64 = js_sys::Reflect::get(&part, &"value".into())
                .ok()?
                .as_string()?
                .parse()
                .unwrap_or(-1);
            match kind.as_str() {
                "year" => year = Some(value),
                "month" => month = Some(value),
                "day" => day = Some(value),
                "hour" => hour = Some(value),
                "minute" => minute = Some(value),
                "second" => second = Some(value),
                _ => {}
            }
        }
        let local = LocalDateTime {
            year: i32::try_from(year?).ok()?,
            month: u8::try_from(month?).ok()?,
            day: u8::try_from(day?).ok()?,
            hour: u8::try_from(hour?).ok()?,
            minute: u8::try_from(minute?).ok()?,
        };
        Some(local_as_utc(local)? + second?)
    }

    /// UNIX seconds of a wall-clock time in this zone. In a DST gap (a time that does not exist)
    /// the offset from before the gap is used, as most calendars do, so the time moves forward by
    /// the gap; in an overlap (a time that happens twice) the first occurrence is meant.
    pub(crate) fn resolve(&self, local: LocalDateTime) -> Option<i64> {
        const DAY: i64 = 86_400;
        let naive = local_as_utc(local)?;
        // A zone changes its offset at most once within a day or two: the offsets a day either
        // side are the only ones this wall time can have.
        let offset_at = |instant: i64| Some(self.wall_as_utc(instant)? - instant);
        let before = naive - offset_at(naive - DAY)?;
        let after = naive - offset_at(naive + DAY)?;
        let shows_local = |instant: i64| Some(self.wall_as_utc(instant)? == naive);
        match (shows_local(before)?, shows_local(after)?) {
            (true, true) => Some(before.min(after)),
            (false, true) => Some(after),
            (true, false) | (false, false) => Some(before),
        }
    }
}
