//! Printing: one JSON object with `--json`, a human summary otherwise; number formatting.

use crate::encoding::{InstanceLayout, Side, Visibility};

/// Prints `value` (with `--json`) or the text `text` builds.
pub fn emit(json: bool, value: serde_json::Value, text: impl FnOnce() -> String) {
    if json {
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else {
        println!("{}", text());
    }
}

/// "8 input values, 2 output values, packed 28 per field element" and the like.
pub fn describe_instances(public: &InstanceLayout) -> String {
    let side = |s: Side, visibility: Visibility| match visibility {
        Visibility::Public => format!("{} {s} values", public.public_values(s)),
        Visibility::Hashed => format!("a Poseidon commitment to the {s}s"),
        Visibility::Private => format!("{s}s private"),
    };
    let any_values = public.blocks.iter().any(|b| b.commitment.is_none());
    let packing = match public.packing {
        _ if !any_values => "one field element each".into(),
        Some(p) => format!("packed up to {} per field element, {} bits each", p.per_word, p.bits),
        None => "one per field element".into(),
    };
    format!(
        "{}, {}; {packing}",
        side(Side::Input, public.visibility.input),
        side(Side::Output, public.visibility.output)
    )
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The first few values of a vector, 4 decimals.
pub fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().take(8).map(|x| format!("{x:.4}")).collect();
    let more = if v.len() > 8 { format!(", ... ({} values)", v.len()) } else { String::new() };
    format!("[{}{more}]", parts.join(", "))
}
