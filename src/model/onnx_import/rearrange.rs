//! Operators that rearrange or resample values on a fixed grid: Pad, DepthToSpace/SpaceToDepth,
//! GatherElements (constant indices) and Resize/Upsample. Pads, block moves and nearest-neighbour
//! resizing are maps from output to input positions (free in the circuit, like
//! [`super::wiring`]'s); linear resizing weighs neighbours with constants, so it is an affine map.

use tract_onnx::pb;

use super::proto::{attr_float, attr_floats, attr_int, attr_ints, attr_string};
use super::wiring::{axis_of, ravel, unravel};
use super::{node_err, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{AffineRow, Op, Term};

impl Lowering {
    pub(super) fn lower_pad(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let rank = shape.len();
        let pads = self.int_list(node, 1, "pads")?.ok_or_else(|| node_err(node, "needs pads".into()))?;
        let fill = match self.optional_value(node, 2)? {
            Some(_) => self.constant(node, 2, "constant_value")?.data.first().copied().unwrap_or(0.0),
            None => attr_float(node, "value").map_or(0.0, f64::from),
        };
        let axes: Vec<usize> = match self.optional_value(node, 3)? {
            Some(_) => self
                .constant(node, 3, "axes")?
                .data
                .iter()
                .map(|&a| axis_of(node, a as i64, rank))
                .collect::<Result<_, _>>()?,
            None => (0..rank).collect(),
        };
        if pads.len() != 2 * axes.len() {
            return Err(node_err(node, format!("{} pads for {} axes (two per axis)", pads.len(), axes.len())));
        }
        let (mut before, mut after) = (vec![0i64; rank], vec![0i64; rank]);
        for (k, &a) in axes.iter().enumerate() {
            (before[a], after[a]) = (pads[k], pads[k + axes.len()]);
        }
        let mut out = Vec::with_capacity(rank);
        for a in 0..rank {
            let d = shape[a] as i64 + before[a] + after[a];
            if d < 0 {
                return Err(node_err(node, format!("pads {pads:?} crop axis {a} of {shape:?} below zero")));
            }
            out.push(d as usize);
        }
        let mode = attr_string(node, "mode").unwrap_or_else(|| "constant".into());
        // Input coordinate of output coordinate `o` on axis `a`, or None for the fill value.
        let source = |a: usize, o: usize| -> Option<usize> {
            let n = shape[a] as i64;
            let i = o as i64 - before[a];
            if (0..n).contains(&i) {
                return Some(i as usize);
            }
            match mode.as_str() {
                "edge" => Some(i.clamp(0, n - 1) as usize),
                "reflect" if n > 1 => {
                    let period = 2 * (n - 1);
                    let r = i.rem_euclid(period);
                    Some((if r < n { r } else { period - r }) as usize)
                }
                "wrap" => Some(i.rem_euclid(n) as usize),
                _ => None,
            }
        };
        if !matches!(mode.as_str(), "constant" | "edge" | "reflect" | "wrap") {
            return Err(node_err(node, format!("mode '{mode}' is not one of constant, edge, reflect, wrap")));
        }
        if mode == "reflect" && (0..rank).any(|a| shape[a] < 2 && (before[a] > 0 || after[a] > 0)) {
            return Err(node_err(node, "reflect padding of an axis of length 1".into()));
        }
        let total: usize = out.iter().product();
        let picks = (0..total)
            .map(|j| {
                let c = unravel(j, &out);
                let src: Option<Vec<usize>> = c.iter().enumerate().map(|(a, &o)| source(a, o)).collect();
                match src {
                    Some(s) => (0, ravel(&s, &shape)),
                    None => (1, 0),
                }
            })
            .collect();
        let fill = Value::Const(Const { shape: vec![1], data: vec![fill] });
        self.emit_gather(node, 0, &[v, fill], picks, out)
    }

    /// DepthToSpace (DCR or CRD order) and its inverse SpaceToDepth (DCR), on `[N, C, H, W]`.
    pub(super) fn lower_depth_space(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let b = attr_int(node, "blocksize")
            .filter(|&b| b > 0)
            .ok_or_else(|| node_err(node, "needs blocksize".into()))? as usize;
        let [n, c, h, w] = shape[..] else {
            return Err(node_err(node, format!("needs a rank-4 [N, C, H, W] input, not {shape:?}")));
        };
        if node.op_type == "DepthToSpace" {
            if c % (b * b) != 0 {
                return Err(node_err(node, format!("{c} channels do not split into {b}x{b} blocks")));
            }
            let crd = attr_string(node, "mode").is_some_and(|m| m == "CRD");
            let c2 = c / (b * b);
            self.gather_one(node, v, vec![n, c2, h * b, w * b], |o| {
                let (i, j) = (o[2] % b, o[3] % b);
                let ch = if crd { o[1] * b * b + i * b + j } else { (i * b + j) * c2 + o[1] };
                vec![o[0], ch, o[2] / b, o[3] / b]
            })
        } else {
            if h % b != 0 || w % b != 0 {
                return Err(node_err(node, format!("{h}x{w} does not tile into {b}x{b} blocks")));
            }
            self.gather_one(node, v, vec![n, c * b * b, h / b, w / b], |o| {
                let (block, ch) = (o[1] / c, o[1] % c);
                vec![o[0], ch, o[2] * b + block / b, o[3] * b + block % b]
            })
        }
    }

    /// `out[p] = data[p with its axis coordinate replaced by indices[p]]`, constant indices.
    pub(super) fn lower_gather_elements(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let rank = shape.len();
        let idx = self.constant(node, 1, "indices")?;
        let axis = axis_of(node, attr_int(node, "axis").unwrap_or(0), rank)?;
        if idx.shape.len() != rank {
            return Err(node_err(node, format!("indices of shape {:?} for data of shape {shape:?}", idx.shape)));
        }
        let dim = shape[axis] as i64;
        let mut picks = Vec::with_capacity(idx.data.len());
        for (j, &i) in idx.data.iter().enumerate() {
            let i = i as i64;
            let k = if i < 0 { i + dim } else { i };
            if !(0..dim).contains(&k) {
                return Err(node_err(node, format!("index {i} is outside axis {axis} (length {dim})")));
            }
            let mut c = unravel(j, &idx.shape);
            if c.iter().zip(&shape).enumerate().any(|(a, (&x, &d))| a != axis && x >= d) {
                return Err(node_err(node, format!("indices of shape {:?} exceed data {shape:?}", idx.shape)));
            }
            c[axis] = k as usize;
            picks.push((0, ravel(&c, &shape)));
        }
        self.emit_gather(node, 0, &[v], picks, idx.shape)
    }

    /// Resize (nearest or linear, any coordinate transformation but crop-and-resize) and the
    /// older Upsample (`floor(o / scale)`, nearest or linear).
    pub(super) fn lower_resize(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let v = self.value(node, 0)?;
        let shape = self.shape_of(&v);
        let rank = shape.len();
        let legacy = node.op_type == "Upsample" || node.input.len() == 2;
        let mode = attr_string(node, "mode").unwrap_or_else(|| "nearest".into());
        let linear = match mode.as_str() {
            "nearest" => false,
            "linear" | "bilinear" => true,
            other => return Err(node_err(node, format!("mode '{other}' is not supported (nearest or linear)"))),
        };
        if attr_int(node, "antialias").unwrap_or(0) != 0 || attr_ints(node, "axes").is_some() {
            return Err(node_err(node, "antialias and axes are not supported".into()));
        }
        // Output sizes and per-axis scales: from `sizes` (input 3) or `scales` (input 1 when
        // legacy, else 2; an attribute in Upsample-7).
        let scales_at = if legacy { 1 } else { 2 };
        let sizes = if !legacy && self.optional_value(node, 3)?.is_some() {
            Some(self.constant(node, 3, "sizes")?.data)
        } else {
            None
        };
        let scales: Vec<f64> = match (&sizes, self.optional_value(node, scales_at)?) {
            (Some(s), _) => s.iter().zip(&shape).map(|(&o, &i)| o / i as f64).collect(),
            (None, Some(_)) => self.constant(node, scales_at, "scales")?.data,
            (None, None) => {
                attr_floats(node, "scales").ok_or_else(|| node_err(node, "needs scales or sizes".into()))?
            }
        };
        if scales.len() != rank || scales.iter().any(|&s| s.is_nan() || s <= 0.0) {
            return Err(node_err(node, format!("scales {scales:?} for a rank-{rank} input")));
        }
        let out: Vec<usize> = match &sizes {
            Some(s) if s.len() == rank => s.iter().map(|&x| x as usize).collect(),
            Some(s) => return Err(node_err(node, format!("sizes {s:?} for a rank-{rank} input"))),
            None => shape.iter().zip(&scales).map(|(&d, &s)| (d as f64 * s).floor() as usize).collect(),
        };
        let transform = if legacy {
            "asymmetric".to_string()
        } else {
            attr_string(node, "coordinate_transformation_mode").unwrap_or_else(|| "half_pixel".into())
        };
        let nearest = if legacy {
            "floor".to_string()
        } else {
            attr_string(node, "nearest_mode").unwrap_or_else(|| "round_prefer_floor".into())
        };
        // Per axis, per output coordinate: the input coordinates it reads and their weights.
        let mut taps: Vec<Vec<Vec<(usize, f64)>>> = Vec::with_capacity(rank);
        for a in 0..rank {
            let (n_in, n_out, s) = (shape[a], out[a], scales[a]);
            let mut axis_taps = Vec::with_capacity(n_out);
            for o in 0..n_out {
                let of = o as f64;
                let x = match transform.as_str() {
                    "half_pixel" => (of + 0.5) / s - 0.5,
                    "pytorch_half_pixel" if n_out > 1 => (of + 0.5) / s - 0.5,
                    "pytorch_half_pixel" => 0.0,
                    "asymmetric" => of / s,
                    "align_corners" if n_out > 1 => of * (n_in as f64 - 1.0) / (n_out as f64 - 1.0),
                    "align_corners" => 0.0,
                    "tf_half_pixel_for_nn" => (of + 0.5) / s,
                    other => {
                        return Err(node_err(
                            node,
                            format!("coordinate_transformation_mode '{other}' is not supported"),
                        ))
                    }
                };
                let last = n_in as f64 - 1.0;
                axis_taps.push(if linear {
                    let x = x.clamp(0.0, last);
                    let x0 = x.floor();
                    let x1 = (x0 + 1.0).min(last);
                    let w1 = x - x0;
                    if w1 == 0.0 || x1 == x0 {
                        vec![(x0 as usize, 1.0)]
                    } else {
                        vec![(x0 as usize, 1.0 - w1), (x1 as usize, w1)]
                    }
                } else {
                    let r = match nearest.as_str() {
                        "floor" => x.floor(),
                        "ceil" => x.ceil(),
                        "round_prefer_floor" if x.fract() == 0.5 => x.floor(),
                        "round_prefer_ceil" if x.fract() == 0.5 => x.ceil(),
                        "round_prefer_floor" | "round_prefer_ceil" => x.round(),
                        other => return Err(node_err(node, format!("nearest_mode '{other}' is not supported"))),
                    };
                    vec![(r.clamp(0.0, last) as usize, 1.0)]
                });
            }
            taps.push(axis_taps);
        }
        let total: usize = out.iter().product();
        if taps.iter().flatten().all(|t| t.len() == 1) {
            return self.gather_one(node, v, out, |o| (0..rank).map(|a| taps[a][o[a]][0].0).collect());
        }
        let rows: Vec<AffineRow> = (0..total)
            .map(|j| {
                let o = unravel(j, &out);
                // The tensor product of the axes' taps.
                let mut terms: Vec<(Vec<usize>, f64)> = vec![(Vec::with_capacity(rank), 1.0)];
                for a in 0..rank {
                    terms = terms
                        .into_iter()
                        .flat_map(|(c, w)| {
                            taps[a][o[a]].iter().map(move |&(i, t)| {
                                let mut c = c.clone();
                                c.push(i);
                                (c, w * t)
                            })
                        })
                        .collect();
                }
                AffineRow {
                    terms: terms
                        .into_iter()
                        .map(|(c, weight)| Term { input: 0, index: ravel(&c, &shape), weight })
                        .collect(),
                    bias: 0.0,
                }
            })
            .collect();
        match v {
            Value::Const(c) => {
                let data =
                    rows.iter().map(|r| r.terms.iter().map(|t| t.weight * c.data[t.index as usize]).sum()).collect();
                self.emit_const(node, Const { shape: out, data })
            }
            Value::Node(id) => self.emit(node, Op::Affine { inputs: vec![id], rows }, out),
        }
    }
}
