//! `--json` documents: every one carries its schema, numbers past 2^53 (which a JavaScript or jq reader would
//! round) become hex strings, and errors are JSON documents too.

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::{Map, Value};

/// The schema tag of kreloc's documents (its `--json` output and the JSON files it writes).
pub const KRELOC: &str = "kreloc/1";
/// The schema tag of kbisect's `--json` output.
pub const KBISECT: &str = "kbisect/1";

/// Which tool's document this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    Kreloc,
    Kbisect,
}

impl Schema {
    pub fn tag(self) -> &'static str {
        match self {
            Schema::Kreloc => KRELOC,
            Schema::Kbisect => KBISECT,
        }
    }

    fn tool(self) -> &'static str {
        match self {
            Schema::Kreloc => "kreloc",
            Schema::Kbisect => "kbisect",
        }
    }
}

/// How this process prints: its schema, and whether `--json` was given. Set once in `main`.
static MODE: OnceLock<(Schema, bool)> = OnceLock::new();

/// Records the tool and `--json` for [`error`]; the first call wins.
pub fn set_mode(schema: Schema, json: bool) {
    let _ = MODE.set((schema, json));
}

fn mode() -> (Schema, bool) {
    MODE.get().copied().unwrap_or((Schema::Kreloc, false))
}

/// The largest integer every JSON reader holds exactly.
const EXACT: u64 = 1 << 53;

/// Rewrites integers past 2^53 as `"0x…"` strings, everywhere in the document.
fn hex_past_2_53(v: &mut Value) {
    match v {
        Value::Number(n) if n.as_u64().is_some_and(|x| x > EXACT) => {
            *v = Value::String(format!("{:#x}", n.as_u64().unwrap_or(0)))
        }
        Value::Array(a) => a.iter_mut().for_each(hex_past_2_53),
        Value::Object(o) => o.values_mut().for_each(hex_past_2_53),
        _ => {}
    }
}

/// The document for `value`: an object gets a leading `"schema"`; anything else is wrapped as `{"schema", "items"}`.
pub fn document<T: Serialize + ?Sized>(schema: Schema, value: &T) -> Value {
    let mut v = serde_json::to_value(value)
        .unwrap_or_else(|e| serde_json::json!({ "error": format!("cannot serialize: {e}") }));
    hex_past_2_53(&mut v);
    let mut out = Map::new();
    out.insert("schema".into(), Value::String(schema.tag().into()));
    match v {
        Value::Object(o) => out.extend(o),
        other => {
            out.insert("items".into(), other);
        }
    }
    Value::Object(out)
}

/// Prints `value` as this process's `--json` document.
pub fn print<T: Serialize + ?Sized>(value: &T) {
    println!("{}", serde_json::to_string_pretty(&document(mode().0, value)).unwrap_or_default());
}

/// Reports an error: one line on stderr, and with `--json` also a JSON document on stdout. Returns `code`.
pub fn error(code: impl Into<i32>, msg: impl std::fmt::Display) -> i32 {
    let code = code.into();
    let (schema, json) = mode();
    eprintln!("{}: error: {msg}", schema.tool());
    if json {
        print(&serde_json::json!({ "error": msg.to_string(), "exit_code": code }));
    }
    code
}

/// Parses the command line; a usage error is reported like [`error`] (JSON when `--json` is among the
/// arguments) and exits 2; `--help` and `--version` print as usual.
pub fn parse_args<P: clap::Parser>(schema: Schema) -> P {
    match P::try_parse() {
        Ok(p) => p,
        Err(e) if e.use_stderr() && std::env::args().any(|a| a == "--json") => {
            set_mode(schema, true);
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("usage error").trim_start_matches("error: ").to_string();
            std::process::exit(error(crate::exit::USAGE, first));
        }
        Err(e) => e.exit(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_first_and_big_numbers_in_hex() {
        let d = document(Schema::Kbisect, &serde_json::json!({ "at": u64::MAX, "small": 4096, "list": [1u64 << 60] }));
        assert_eq!(d["schema"], "kbisect/1");
        assert_eq!(d["at"], "0xffffffffffffffff");
        assert_eq!(d["small"], 4096);
        assert_eq!(d["list"][0], "0x1000000000000000");
        let arr = document(Schema::Kreloc, &[1, 2]);
        assert_eq!(arr["schema"], "kreloc/1");
        assert_eq!(arr["items"][1], 2);
    }
}
