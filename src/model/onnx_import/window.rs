//! Sliding-window geometry (strides, dilations, padding) shared by Conv and the pooling operators.

use tract_onnx::pb;

use super::proto::{attr_ints, attr_string};
use super::{node_err, Lowering, Value};
use crate::error::ZkError;

/// Sliding-window geometry shared by Conv and the pools.
pub(super) struct Window {
    pub(super) input: [usize; 2],
    pub(super) stride: [usize; 2],
    pub(super) dilation: [usize; 2],
    pub(super) pad_begin: [usize; 2],
    pub(super) out: [usize; 2],
}

impl Window {
    pub(super) fn plain(input: [usize; 2], kernel: [usize; 2]) -> Window {
        Window {
            input,
            stride: [1, 1],
            dilation: [1, 1],
            pad_begin: [0, 0],
            out: [input[0] - kernel[0] + 1, input[1] - kernel[1] + 1],
        }
    }

    /// The geometry from a node's attributes. A 1-D window (`rank` 1) is a 2-D one of height one:
    /// its attributes describe the second axis only.
    pub(super) fn from_attrs(
        node: &pb::NodeProto,
        input: [usize; 2],
        kernel: [usize; 2],
        rank: usize,
    ) -> Result<Window, ZkError> {
        let pair = |name: &str, default: usize| -> Result<[usize; 2], ZkError> {
            match attr_ints(node, name) {
                None => Ok([default, default]),
                Some(v) if v.len() == rank && v.iter().all(|&x| x >= 1) => {
                    Ok(if rank == 1 { [1, v[0] as usize] } else { [v[0] as usize, v[1] as usize] })
                }
                Some(v) => Err(node_err(node, format!("unsupported {name} {v:?}"))),
            }
        };
        let stride = pair("strides", 1)?;
        let dilation = pair("dilations", 1)?;
        let eff = [dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1];
        let auto_pad = attr_string(node, "auto_pad").unwrap_or_default();
        let (begin, end) = match auto_pad.as_str() {
            "" | "NOTSET" => {
                let p = attr_ints(node, "pads").unwrap_or_else(|| vec![0; 2 * rank]);
                if p.len() != 2 * rank || p.iter().any(|&x| x < 0) {
                    return Err(node_err(node, format!("unsupported pads {p:?}")));
                }
                if rank == 1 {
                    ([0, p[0] as usize], [0, p[1] as usize])
                } else {
                    ([p[0] as usize, p[1] as usize], [p[2] as usize, p[3] as usize])
                }
            }
            "VALID" => ([0, 0], [0, 0]),
            "SAME_UPPER" | "SAME_LOWER" => {
                let mut b = [0; 2];
                let mut e = [0; 2];
                for d in 0..2 {
                    let out = input[d].div_ceil(stride[d]);
                    let total = ((out - 1) * stride[d] + eff[d]).saturating_sub(input[d]);
                    let small = total / 2;
                    let (lo, hi) =
                        if auto_pad == "SAME_UPPER" { (small, total - small) } else { (total - small, small) };
                    b[d] = lo;
                    e[d] = hi;
                }
                (b, e)
            }
            other => return Err(node_err(node, format!("unsupported auto_pad {other}"))),
        };
        let mut out = [0; 2];
        for d in 0..2 {
            let padded = input[d] + begin[d] + end[d];
            if padded < eff[d] {
                return Err(node_err(node, format!("kernel {kernel:?} larger than padded input {input:?}")));
            }
            out[d] = (padded - eff[d]) / stride[d] + 1;
        }
        Ok(Window { input, stride, dilation, pad_begin: begin, out })
    }

    /// Input position read by kernel tap `(ky, kx)` of output `(oy, ox)`, or `None` in the padding.
    pub(super) fn source(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let y = (oy * self.stride[0] + ky * self.dilation[0]) as isize - self.pad_begin[0] as isize;
        let x = (ox * self.stride[1] + kx * self.dilation[1]) as isize - self.pad_begin[1] as isize;
        if y < 0 || x < 0 || y as usize >= self.input[0] || x as usize >= self.input[1] {
            None
        } else {
            Some((y as usize, x as usize))
        }
    }
}

impl Lowering {
    /// Conv and the pools work on a single image or sequence, so the batch dimension must be one.
    /// Returns the input, its `[C, H, W]` (`H = 1` for a sequence `[1, C, L]`) and its spatial rank.
    pub(super) fn spatial_input(&self, node: &pb::NodeProto) -> Result<(usize, [usize; 3], usize), ZkError> {
        match self.value(node, 0)? {
            Value::Node(id) => {
                let s = &self.graph.nodes[id].shape;
                match s.as_slice() {
                    [1, c, h, w] => Ok((id, [*c, *h, *w], 2)),
                    [1, c, l] => Ok((id, [*c, 1, *l], 1)),
                    _ => Err(node_err(node, format!("expects a [1, C, H, W] or [1, C, L] input, got {s:?}"))),
                }
            }
            Value::Const(_) => Err(node_err(node, "input must be a runtime tensor".into())),
        }
    }
}
