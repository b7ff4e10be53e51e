//! Einsum with one or two operands, by its index letters: every output element sums, over the
//! letters that do not reach the output, one value (one operand: a transpose, diagonal or
//! reduction) or one product (two operands: a MatMul in any layout, attention's
//! `bhqd,bhkd->bhqk`). With a constant side that is an affine map; with both computed, a
//! contraction like MatMul's. An ellipsis stands for the same leading axes in every operand.

use std::collections::BTreeMap;

use tract_onnx::pb;

use super::proto::attr_string;
use super::{node_err, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Op, Term};

/// Parsed equation: each operand's letters and the output's (an ellipsis expanded to capitals,
/// which ONNX equations may not use for anything else here).
struct Equation {
    inputs: Vec<Vec<char>>,
    output: Vec<char>,
}

fn parse(eq: &str, ranks: &[usize]) -> Result<Equation, String> {
    let eq: String = eq.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (eq.clone(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() != ranks.len() {
        return Err(format!("equation '{eq}' has {} operands, the node {}", terms.len(), ranks.len()));
    }
    // Axes the ellipsis covers: the rank beyond the named letters (the same for every operand).
    let mut ellipsis = None;
    for (t, &r) in terms.iter().zip(ranks) {
        if t.contains("...") {
            let named = t.replace("...", "").len();
            let n = r.checked_sub(named).ok_or_else(|| format!("'{t}' names more axes than rank {r}"))?;
            if ellipsis.is_some_and(|e| e != n) {
                return Err("operands' ellipses cover different numbers of axes".into());
            }
            ellipsis = Some(n);
        }
    }
    let broadcast: String = (0..ellipsis.unwrap_or(0)).map(|i| (b'A' + i as u8) as char).collect();
    let expand = |t: &str| -> Result<Vec<char>, String> {
        let s = t.replace("...", &broadcast);
        if let Some(c) = s.chars().find(|c| !c.is_ascii_alphabetic()) {
            return Err(format!("'{c}' is not an index letter"));
        }
        Ok(s.chars().collect())
    };
    let inputs: Vec<Vec<char>> = terms.iter().map(|t| expand(t)).collect::<Result<_, _>>()?;
    for (letters, &r) in inputs.iter().zip(ranks) {
        if letters.len() != r {
            return Err(format!(
                "'{}' names {} axes of a rank-{r} operand",
                letters.iter().collect::<String>(),
                letters.len()
            ));
        }
    }
    let output = match rhs {
        Some(r) => expand(&r)?,
        None => {
            // Implicit: the ellipsis axes, then the letters used once, alphabetically.
            let mut count: BTreeMap<char, usize> = BTreeMap::new();
            for &c in inputs.iter().flatten().filter(|c| c.is_ascii_lowercase()) {
                *count.entry(c).or_default() += 1;
            }
            broadcast.chars().chain(count.into_iter().filter(|&(_, n)| n == 1).map(|(c, _)| c)).collect()
        }
    };
    Ok(Equation { inputs, output })
}

impl Lowering {
    pub(super) fn lower_einsum(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let eq = attr_string(node, "equation").ok_or_else(|| node_err(node, "has no equation".into()))?;
        let values: Vec<Value> = (0..node.input.len()).map(|i| self.value(node, i)).collect::<Result<_, _>>()?;
        if values.is_empty() || values.len() > 2 {
            return Err(node_err(node, format!("{} operands; one or two are supported", values.len())));
        }
        let shapes: Vec<Vec<usize>> = values.iter().map(|v| self.shape_of(v)).collect();
        let ranks: Vec<usize> = shapes.iter().map(Vec::len).collect();
        let parsed = parse(&eq, &ranks).map_err(|e| node_err(node, e))?;
        // Each letter's extent, the same wherever it appears.
        let mut extent: BTreeMap<char, usize> = BTreeMap::new();
        for (letters, shape) in parsed.inputs.iter().zip(&shapes) {
            for (&c, &d) in letters.iter().zip(shape) {
                if *extent.entry(c).or_insert(d) != d {
                    return Err(node_err(node, format!("index '{c}' has extents {} and {d}", extent[&c])));
                }
            }
        }
        if let Some(c) = parsed.output.iter().find(|c| !extent.contains_key(c)) {
            return Err(node_err(node, format!("output index '{c}' appears in no operand")));
        }
        let summed: Vec<char> = extent.keys().copied().filter(|c| !parsed.output.contains(c)).collect();
        let out_shape: Vec<usize> = parsed.output.iter().map(|c| extent[c]).collect();
        let out_len: usize = out_shape.iter().product();
        let sum_len: usize = summed.iter().map(|c| extent[c]).product();
        let flat = |letters: &[char], shape: &[usize], at: &BTreeMap<char, usize>| -> u32 {
            letters.iter().zip(shape).fold(0, |acc, (c, &d)| acc * d + at[c]) as u32
        };
        // For each output element, the operand positions of each summed term.
        let mut terms: Vec<Vec<Vec<u32>>> = Vec::with_capacity(out_len);
        for o in 0..out_len {
            let mut at = BTreeMap::new();
            let mut rem = o;
            for (c, &d) in parsed.output.iter().zip(&out_shape).rev() {
                at.insert(*c, rem % d);
                rem /= d;
            }
            let mut row = Vec::with_capacity(sum_len);
            for s in 0..sum_len {
                let mut rem = s;
                for c in summed.iter().rev() {
                    at.insert(*c, rem % extent[c]);
                    rem /= extent[c];
                }
                row.push(parsed.inputs.iter().zip(&shapes).map(|(l, sh)| flat(l, sh, &at)).collect());
            }
            terms.push(row);
        }
        match values.as_slice() {
            [Value::Const(a)] => {
                let data = terms.iter().map(|r| r.iter().map(|p| a.data[p[0] as usize]).sum()).collect();
                self.emit_const(node, Const { shape: out_shape, data })
            }
            [Value::Node(x)] => {
                let rows = terms
                    .iter()
                    .map(|r| AffineRow {
                        terms: r.iter().map(|p| Term { input: 0, index: p[0], weight: 1.0 }).collect(),
                        bias: 0.0,
                    })
                    .collect();
                self.emit(node, Op::Affine { inputs: vec![*x], rows }, out_shape)
            }
            [Value::Const(a), Value::Const(b)] => {
                let data = terms
                    .iter()
                    .map(|r| r.iter().map(|p| a.data[p[0] as usize] * b.data[p[1] as usize]).sum())
                    .collect();
                self.emit_const(node, Const { shape: out_shape, data })
            }
            [Value::Node(x), Value::Const(w)] | [Value::Const(w), Value::Node(x)] => {
                let (xi, wi) = if matches!(values[0], Value::Node(_)) { (0, 1) } else { (1, 0) };
                let rows = terms
                    .iter()
                    .map(|r| AffineRow {
                        terms: r
                            .iter()
                            .map(|p| Term { input: 0, index: p[xi], weight: w.data[p[wi] as usize] })
                            .collect(),
                        bias: 0.0,
                    })
                    .collect();
                self.emit(node, Op::Affine { inputs: vec![*x], rows }, out_shape)
            }
            [Value::Node(a), Value::Node(b)] => {
                let pairs = terms.iter().map(|r| r.iter().map(|p| (p[0], p[1])).collect()).collect();
                self.emit(node, Op::Contract { a: *a, b: *b, pairs }, out_shape)
            }
            _ => unreachable!("one or two operands"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn equations_parse_explicit_implicit_and_with_ellipsis() {
        let e = parse("bhqd,bhkd->bhqk", &[4, 4]).unwrap();
        assert_eq!(e.output, vec!['b', 'h', 'q', 'k']);
        let e = parse("ij,jk", &[2, 2]).unwrap();
        assert_eq!(e.output, vec!['i', 'k']);
        let e = parse("...ij,...jk->...ik", &[3, 3]).unwrap();
        assert_eq!(e.inputs[0], vec!['A', 'i', 'j']);
        assert_eq!(e.output, vec!['A', 'i', 'k']);
        assert!(parse("ij,jk->ik", &[2]).is_err());
        assert!(parse("i1,jk", &[2, 2]).is_err());
        assert!(parse("ijk->i", &[2]).is_err());
    }
}
