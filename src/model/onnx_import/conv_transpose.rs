//! ConvTranspose (1-D and 2-D, grouped): each output sums the inputs whose strided, dilated
//! kernel taps land on it, an affine map like Conv's with the roles of input and output swapped.

use tract_onnx::pb;

use super::linear::ConvOperands;
use super::proto::{attr_ints, attr_string};
use super::{node_err, Lowering};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Op, Term};

impl Lowering {
    pub(super) fn lower_conv_transpose(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let ConvOperands { x, chw: [c, h, w], rank, wt, bias, group } = self.conv_operands(node)?;
        if wt.shape.len() != rank + 2 || wt.shape[0] != c {
            return Err(node_err(node, format!("weight shape {:?} does not fit {c} input channels", wt.shape)));
        }
        let per_group_out = wt.shape[1];
        let m = per_group_out * group;
        let kernel = if rank == 2 { [wt.shape[2], wt.shape[3]] } else { [1, wt.shape[2]] };
        if let Some(b) = &bias {
            if b.data.len() != m {
                return Err(node_err(node, format!("bias has {} values for {m} output channels", b.data.len())));
            }
        }
        // Per spatial axis (a 1-D node's attributes describe the second).
        let pair = |name: &str, default: i64| -> Result<[i64; 2], ZkError> {
            match attr_ints(node, name) {
                None => Ok([default, default]),
                Some(v) if v.len() == rank => Ok(if rank == 1 { [default, v[0]] } else { [v[0], v[1]] }),
                Some(v) => Err(node_err(node, format!("{name} {v:?} for a {rank}-D convolution"))),
            }
        };
        let stride = pair("strides", 1)?;
        let dilation = pair("dilations", 1)?;
        let output_padding = pair("output_padding", 0)?;
        if stride.iter().chain(&dilation).any(|&v| v < 1) || output_padding.iter().any(|&v| v < 0) {
            return Err(node_err(node, "strides and dilations must be positive, output_padding non-negative".into()));
        }
        let input = [h as i64, w as i64];
        let full: Vec<i64> = (0..2)
            .map(|d| stride[d] * (input[d] - 1) + output_padding[d] + (kernel[d] as i64 - 1) * dilation[d] + 1)
            .collect();
        let auto_pad = attr_string(node, "auto_pad").unwrap_or_default();
        let (mut begin, mut end) = ([0i64; 2], [0i64; 2]);
        if let Some(target) = attr_ints(node, "output_shape") {
            let target: Vec<i64> = target.iter().rev().take(rank).rev().copied().collect();
            let target = if rank == 1 { [1, target[0]] } else { [target[0], target[1]] };
            for d in 0..2 {
                let total = full[d] - target[d];
                if total < 0 {
                    return Err(node_err(node, format!("output_shape {target:?} is larger than the full output")));
                }
                (begin[d], end[d]) = if auto_pad == "SAME_UPPER" {
                    (total / 2, total - total / 2)
                } else {
                    (total - total / 2, total / 2)
                };
            }
        } else {
            match auto_pad.as_str() {
                "" | "NOTSET" | "VALID" => {
                    if let Some(p) = attr_ints(node, "pads") {
                        if p.len() != 2 * rank || p.iter().any(|&v| v < 0) {
                            return Err(node_err(node, format!("unsupported pads {p:?}")));
                        }
                        (begin, end) = if rank == 1 { ([0, p[0]], [0, p[1]]) } else { ([p[0], p[1]], [p[2], p[3]]) };
                    }
                }
                "SAME_UPPER" | "SAME_LOWER" => {
                    for d in 0..2 {
                        let total = (full[d] - input[d] * stride[d]).max(0);
                        (begin[d], end[d]) = if auto_pad == "SAME_UPPER" {
                            (total / 2, total - total / 2)
                        } else {
                            (total - total / 2, total / 2)
                        };
                    }
                }
                other => return Err(node_err(node, format!("unsupported auto_pad {other}"))),
            }
        }
        let out: Vec<i64> = (0..2).map(|d| full[d] - begin[d] - end[d]).collect();
        if out.iter().any(|&o| o < 1) {
            return Err(node_err(node, format!("pads {begin:?}/{end:?} leave no output")));
        }
        let (oh, ow) = (out[0] as usize, out[1] as usize);
        let in_per_group = c / group;
        let (kh, kw) = (kernel[0], kernel[1]);
        // The input position tap `k` of output `o` reads on axis `d`, if any.
        let source = |d: usize, o: usize, k: usize| -> Option<usize> {
            let t = o as i64 + begin[d] - k as i64 * dilation[d];
            (t >= 0 && t % stride[d] == 0 && t / stride[d] < input[d]).then(|| (t / stride[d]) as usize)
        };
        let mut rows = Vec::with_capacity(m * oh * ow);
        for oc in 0..m {
            let (g, local) = (oc / per_group_out, oc % per_group_out);
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut terms = Vec::new();
                    for ic in g * in_per_group..(g + 1) * in_per_group {
                        for ky in 0..kh {
                            let Some(iy) = source(0, oy, ky) else { continue };
                            for kx in 0..kw {
                                let Some(ix) = source(1, ox, kx) else { continue };
                                let weight = wt.data[((ic * per_group_out + local) * kh + ky) * kw + kx];
                                terms.push(Term { input: 0, index: ((ic * h + iy) * w + ix) as u32, weight });
                            }
                        }
                    }
                    rows.push(AffineRow { terms, bias: bias.as_ref().map_or(0.0, |b| b.data[oc]) });
                }
            }
        }
        let shape = if rank == 1 { vec![1, m, ow] } else { vec![1, m, oh, ow] };
        self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
    }
}
