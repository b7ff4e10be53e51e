//! Lowering of AveragePool, GlobalAveragePool and MaxPool over 2-D windows.

use tract_onnx::pb;

use super::proto::{attr_int, attr_ints};
use super::window::Window;
use super::{node_err, Lowering};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Op, Term};

impl Lowering {
    pub(super) fn lower_pool(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, [c, h, w], rank) = self.spatial_input(node)?;
        let global = node.op_type == "GlobalAveragePool";
        let kernel = if global {
            [h, w]
        } else {
            let k = attr_ints(node, "kernel_shape").ok_or_else(|| node_err(node, "needs kernel_shape".into()))?;
            match k.as_slice() {
                [kh, kw] if rank == 2 => [*kh as usize, *kw as usize],
                [kl] if rank == 1 => [1, *kl as usize],
                _ => return Err(node_err(node, format!("kernel_shape {k:?} does not match a {rank}-D input"))),
            }
        };
        let geo = if global { Window::plain([h, w], kernel) } else { Window::from_attrs(node, [h, w], kernel, rank)? };
        if attr_int(node, "ceil_mode").unwrap_or(0) != 0 {
            return Err(node_err(node, "ceil_mode=1 is not supported".into()));
        }
        let include_pad = attr_int(node, "count_include_pad").unwrap_or(0) == 1;
        let (oh, ow) = (geo.out[0], geo.out[1]);
        let is_max = node.op_type == "MaxPool";
        let mut rows = Vec::new();
        let mut windows = Vec::new();
        for ch in 0..c {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut idx = Vec::new();
                    for ky in 0..kernel[0] {
                        for kx in 0..kernel[1] {
                            if let Some((iy, ix)) = geo.source(oy, ox, ky, kx) {
                                idx.push(((ch * h + iy) * w + ix) as u32);
                            }
                        }
                    }
                    if is_max {
                        windows.push(idx);
                    } else {
                        let n = if include_pad { kernel[0] * kernel[1] } else { idx.len() };
                        let weight = 1.0 / n as f64;
                        let terms = idx.into_iter().map(|index| Term { input: 0, index, weight }).collect();
                        rows.push(AffineRow { terms, bias: 0.0 });
                    }
                }
            }
        }
        let shape = if rank == 1 { vec![1, c, ow] } else { vec![1, c, oh, ow] };
        if is_max {
            self.emit(node, Op::Max { input: x, windows }, shape)
        } else {
            self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
        }
    }
}
