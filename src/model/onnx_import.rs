//! Lowers an ONNX model into zkinfer's [`Graph`].
//!
//! We walk the ONNX protobuf ourselves rather than tract's optimised graph so that every error can
//! name the ONNX node and operator the user wrote, and so each operator's semantics are spelled out
//! here in one place. tract still loads and type-checks the same file (see [`super::reference`]) and
//! is the float reference the lowering is checked against during calibration.

use std::collections::HashMap;
use std::path::Path;

use prost::Message;
use tract_onnx::pb;

use super::graph::{Activation, AffineRow, Graph, Node, Op, Term};
use crate::error::ZkError;

/// ONNX operators zkinfer can prove (shape helpers that fold to constants are accepted too).
pub const SUPPORTED_OPS: &[&str] = &[
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div (by a constant)",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Conv",
    "AveragePool",
    "GlobalAveragePool",
    "MaxPool",
    "Flatten",
    "Reshape",
    "BatchNormalization",
    "Identity",
    "Dropout",
    "Constant",
];

/// A constant tensor (initializer, `Constant` node or folded shape arithmetic).
#[derive(Clone, Debug)]
struct Const {
    shape: Vec<usize>,
    data: Vec<f64>,
}

#[derive(Clone, Debug)]
enum Value {
    Const(Const),
    Node(usize),
}

/// Reads and lowers an ONNX file. `input_shapes` overrides the shapes declared in the model (EZKL's
/// input.json may carry them); symbolic dimensions otherwise default to 1 (batch size one).
pub fn import_onnx(path: &Path, input_shapes: Option<&[Vec<usize>]>) -> Result<Graph, ZkError> {
    let bytes = std::fs::read(path).map_err(|e| ZkError::io(path, e))?;
    let model = pb::ModelProto::decode(bytes.as_slice())
        .map_err(|e| ZkError::input(format!("{} is not a valid ONNX model: {e}", path.display())))?;
    let graph = model.graph.as_ref().ok_or_else(|| ZkError::input(format!("{} has no graph", path.display())))?;
    Lowering::default().lower(graph, input_shapes, path)
}

#[derive(Default)]
struct Lowering {
    graph: Graph,
    values: HashMap<String, Value>,
}

fn node_label(node: &pb::NodeProto) -> String {
    if !node.name.is_empty() {
        node.name.clone()
    } else {
        node.output.first().cloned().unwrap_or_else(|| node.op_type.clone())
    }
}

impl Lowering {
    fn lower(mut self, g: &pb::GraphProto, input_shapes: Option<&[Vec<usize>]>, path: &Path) -> Result<Graph, ZkError> {
        for init in &g.initializer {
            let c = tensor_to_const(init).map_err(|e| ZkError::input(format!("initializer '{}': {e}", init.name)))?;
            self.values.insert(init.name.clone(), Value::Const(c));
        }
        let mut input_index = 0;
        for input in &g.input {
            if self.values.contains_key(&input.name) {
                continue; // an initializer listed as input (old exporters)
            }
            let declared = value_info_shape(input);
            let shape = match input_shapes.and_then(|s| s.get(input_index)) {
                Some(s) => s.clone(),
                None => declared.ok_or_else(|| {
                    ZkError::input(format!(
                        "model input '{}' has no tensor shape; give input_shapes in the input file",
                        input.name
                    ))
                })?,
            };
            let id = self.push(input.name.clone(), "Input", Op::Input { index: input_index }, shape);
            self.graph.inputs.push(id);
            self.graph.input_names.push(input.name.clone());
            self.values.insert(input.name.clone(), Value::Node(id));
            input_index += 1;
        }
        if self.graph.inputs.is_empty() {
            return Err(ZkError::input(format!("{} has no runtime inputs", path.display())));
        }
        for node in &g.node {
            self.lower_node(node)?;
        }
        for out in &g.output {
            match self.values.get(&out.name) {
                Some(Value::Node(id)) => {
                    self.graph.outputs.push(*id);
                    self.graph.output_names.push(out.name.clone());
                }
                Some(Value::Const(_)) => {
                    return Err(ZkError::input(format!(
                        "model output '{}' is a constant: it does not depend on the input",
                        out.name
                    )))
                }
                None => return Err(ZkError::input(format!("model output '{}' is not produced by any node", out.name))),
            }
        }
        Ok(self.graph)
    }

    fn push(&mut self, name: String, op_type: &str, op: Op, shape: Vec<usize>) -> usize {
        self.graph.nodes.push(Node { name, op_type: op_type.to_string(), op, shape });
        self.graph.nodes.len() - 1
    }

    fn value(&self, node: &pb::NodeProto, i: usize) -> Result<Value, ZkError> {
        let name =
            node.input.get(i).filter(|n| !n.is_empty()).ok_or_else(|| node_err(node, format!("missing input #{i}")))?;
        self.values
            .get(name)
            .cloned()
            .ok_or_else(|| node_err(node, format!("input '{name}' is not defined before use")))
    }

    fn optional_value(&self, node: &pb::NodeProto, i: usize) -> Result<Option<Value>, ZkError> {
        match node.input.get(i) {
            Some(n) if !n.is_empty() => self.value(node, i).map(Some),
            _ => Ok(None),
        }
    }

    fn constant(&self, node: &pb::NodeProto, i: usize, what: &str) -> Result<Const, ZkError> {
        match self.value(node, i)? {
            Value::Const(c) => Ok(c),
            Value::Node(_) => Err(node_err(
                node,
                format!("{what} (input #{i}) must be a constant; runtime values are not supported there"),
            )),
        }
    }

    fn shape_of(&self, v: &Value) -> Vec<usize> {
        match v {
            Value::Const(c) => c.shape.clone(),
            Value::Node(id) => self.graph.nodes[*id].shape.clone(),
        }
    }

    fn emit(&mut self, node: &pb::NodeProto, op: Op, shape: Vec<usize>) -> Result<(), ZkError> {
        let out = node.output.first().ok_or_else(|| node_err(node, "has no output".into()))?;
        let id = self.push(node_label(node), &node.op_type, op, shape);
        self.values.insert(out.clone(), Value::Node(id));
        Ok(())
    }

    fn emit_const(&mut self, node: &pb::NodeProto, c: Const) -> Result<(), ZkError> {
        let out = node.output.first().ok_or_else(|| node_err(node, "has no output".into()))?;
        self.values.insert(out.clone(), Value::Const(c));
        Ok(())
    }

    fn lower_node(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        if !node.domain.is_empty() && node.domain != "ai.onnx" {
            return Err(unsupported(node));
        }
        match node.op_type.as_str() {
            "Constant" => {
                let c = constant_attr(node)?;
                self.emit_const(node, c)
            }
            "Identity" | "Dropout" => match self.value(node, 0)? {
                Value::Const(c) => self.emit_const(node, c),
                Value::Node(id) => {
                    let shape = self.graph.nodes[id].shape.clone();
                    self.emit(node, Op::Alias { input: id }, shape)
                }
            },
            "Relu" | "Sigmoid" | "Tanh" => {
                let function = match node.op_type.as_str() {
                    "Relu" => Activation::Relu,
                    "Sigmoid" => Activation::Sigmoid,
                    _ => Activation::Tanh,
                };
                match self.value(node, 0)? {
                    Value::Const(c) => {
                        let data = c.data.iter().map(|&x| function.apply(x)).collect();
                        self.emit_const(node, Const { shape: c.shape, data })
                    }
                    Value::Node(id) => {
                        let shape = self.graph.nodes[id].shape.clone();
                        self.emit(node, Op::Activation { input: id, function }, shape)
                    }
                }
            }
            "Add" | "Sub" | "Mul" | "Div" => self.lower_binary(node),
            "Gemm" => self.lower_gemm(node),
            "MatMul" => self.lower_matmul(node),
            "Conv" => self.lower_conv(node),
            "AveragePool" | "MaxPool" | "GlobalAveragePool" => self.lower_pool(node),
            "BatchNormalization" => self.lower_batchnorm(node),
            "Flatten" => {
                let v = self.value(node, 0)?;
                let shape = self.shape_of(&v);
                let rank = shape.len() as i64;
                let mut axis = attr_int(node, "axis").unwrap_or(1);
                if axis < 0 {
                    axis += rank;
                }
                if axis < 0 || axis > rank {
                    return Err(node_err(node, format!("axis {axis} out of range for rank {rank}")));
                }
                let a: usize = shape[..axis as usize].iter().product();
                let b: usize = shape[axis as usize..].iter().product();
                self.reshape_to(node, v, vec![a, b])
            }
            "Reshape" => {
                let v = self.value(node, 0)?;
                let target = self.constant(node, 1, "the target shape")?;
                let shape = self.shape_of(&v);
                let new_shape = resolve_reshape(&shape, &target.data, attr_int(node, "allowzero") == Some(1))
                    .map_err(|e| node_err(node, e))?;
                self.reshape_to(node, v, new_shape)
            }
            // Shape helpers: accepted only when they fold to constants.
            "Shape" => {
                let v = self.value(node, 0)?;
                let shape = self.shape_of(&v);
                let data = shape.iter().map(|&d| d as f64).collect();
                self.emit_const(node, Const { shape: vec![shape.len()], data })
            }
            "Cast" => match self.value(node, 0)? {
                Value::Const(c) => self.emit_const(node, c),
                Value::Node(_) => Err(unsupported(node)),
            },
            "Unsqueeze" | "Squeeze" | "Gather" | "Concat" => self.fold_shape_helper(node),
            _ => Err(unsupported(node)),
        }
    }

    fn reshape_to(&mut self, node: &pb::NodeProto, v: Value, shape: Vec<usize>) -> Result<(), ZkError> {
        match v {
            Value::Const(c) => self.emit_const(node, Const { shape, data: c.data }),
            Value::Node(id) => {
                let before: usize = self.graph.nodes[id].shape.iter().product();
                let after: usize = shape.iter().product();
                if before != after {
                    return Err(node_err(node, format!("cannot reshape {before} elements into {shape:?}")));
                }
                self.emit(node, Op::Alias { input: id }, shape)
            }
        }
    }

    fn fold_shape_helper(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let mut consts = Vec::new();
        for i in 0..node.input.len() {
            match self.optional_value(node, i)? {
                Some(Value::Const(c)) => consts.push(c),
                Some(Value::Node(_)) => return Err(unsupported(node)),
                None => {}
            }
        }
        let first = consts.first().cloned().ok_or_else(|| node_err(node, "has no inputs".into()))?;
        let c = match node.op_type.as_str() {
            "Unsqueeze" => {
                let axes: Vec<i64> = attr_ints(node, "axes")
                    .or_else(|| consts.get(1).map(|c| c.data.iter().map(|&x| x as i64).collect()))
                    .ok_or_else(|| node_err(node, "needs axes".into()))?;
                let mut shape = first.shape.clone();
                let rank = (shape.len() + axes.len()) as i64;
                let mut axes: Vec<usize> =
                    axes.iter().map(|&a| if a < 0 { (a + rank) as usize } else { a as usize }).collect();
                axes.sort();
                for a in axes {
                    shape.insert(a.min(shape.len()), 1);
                }
                Const { shape, data: first.data }
            }
            "Squeeze" => {
                let shape = first.shape.iter().copied().filter(|&d| d != 1).collect();
                Const { shape, data: first.data }
            }
            "Concat" => {
                // Only 1-D concatenation (shape vectors) is folded.
                let mut data = Vec::new();
                for c in &consts {
                    data.extend_from_slice(&c.data);
                }
                Const { shape: vec![data.len()], data }
            }
            "Gather" => {
                let idx = consts.get(1).ok_or_else(|| node_err(node, "needs indices".into()))?;
                if first.shape.len() != 1 {
                    return Err(unsupported(node));
                }
                let n = first.data.len() as i64;
                let data = idx
                    .data
                    .iter()
                    .map(|&i| {
                        let i = i as i64;
                        let i = if i < 0 { i + n } else { i };
                        first
                            .data
                            .get(i as usize)
                            .copied()
                            .ok_or_else(|| node_err(node, format!("index {i} out of range")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Const { shape: idx.shape.clone(), data }
            }
            _ => return Err(unsupported(node)),
        };
        self.emit_const(node, c)
    }

    fn lower_binary(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let a = self.value(node, 0)?;
        let b = self.value(node, 1)?;
        let (sa, sb) = (self.shape_of(&a), self.shape_of(&b));
        let out_shape = broadcast_shape(&sa, &sb).map_err(|e| node_err(node, e))?;
        let ia = broadcast_index(&sa, &out_shape);
        let ib = broadcast_index(&sb, &out_shape);
        let op = node.op_type.as_str();
        match (&a, &b) {
            (Value::Const(ca), Value::Const(cb)) => {
                let data = ia
                    .iter()
                    .zip(&ib)
                    .map(|(&i, &j)| {
                        let (x, y) = (ca.data[i as usize], cb.data[j as usize]);
                        match op {
                            "Add" => x + y,
                            "Sub" => x - y,
                            "Mul" => x * y,
                            _ => x / y,
                        }
                    })
                    .collect();
                self.emit_const(node, Const { shape: out_shape, data })
            }
            (Value::Node(x), Value::Const(c)) | (Value::Const(c), Value::Node(x)) => {
                let node_first = matches!(a, Value::Node(_));
                let (ix, ic) = if node_first { (&ia, &ib) } else { (&ib, &ia) };
                if op == "Div" && !node_first {
                    return Err(node_err(node, "division by a runtime tensor is not supported".into()));
                }
                let rows = ix
                    .iter()
                    .zip(ic)
                    .map(|(&i, &j)| {
                        let k = c.data[j as usize];
                        let (weight, bias) = match (op, node_first) {
                            ("Add", _) => (1.0, k),
                            ("Sub", true) => (1.0, -k),
                            ("Sub", false) => (-1.0, k),
                            ("Mul", _) => (k, 0.0),
                            _ => (1.0 / k, 0.0),
                        };
                        AffineRow { terms: vec![Term { input: 0, index: i, weight }], bias }
                    })
                    .collect();
                if op == "Div" && c.data.contains(&0.0) {
                    return Err(node_err(node, "division by zero constant".into()));
                }
                self.emit(node, Op::Affine { inputs: vec![*x], rows }, out_shape)
            }
            (Value::Node(x), Value::Node(y)) => match op {
                "Add" | "Sub" => {
                    let sign = if op == "Add" { 1.0 } else { -1.0 };
                    let (inputs, second) = if x == y { (vec![*x], 0) } else { (vec![*x, *y], 1) };
                    let rows = ia
                        .iter()
                        .zip(&ib)
                        .map(|(&i, &j)| AffineRow {
                            terms: vec![
                                Term { input: 0, index: i, weight: 1.0 },
                                Term { input: second, index: j, weight: sign },
                            ],
                            bias: 0.0,
                        })
                        .collect();
                    self.emit(node, Op::Affine { inputs, rows }, out_shape)
                }
                "Mul" => self.emit(node, Op::Product { a: *x, b: *y, a_index: ia, b_index: ib }, out_shape),
                _ => Err(node_err(node, "division by a runtime tensor is not supported".into())),
            },
        }
    }

    fn lower_gemm(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let a = match self.value(node, 0)? {
            Value::Node(id) => id,
            Value::Const(_) => return Err(node_err(node, "input A must be a runtime tensor".into())),
        };
        let b = self.constant(node, 1, "weight B")?;
        let c = self.optional_value(node, 2)?;
        let alpha = attr_float(node, "alpha").unwrap_or(1.0) as f64;
        let beta = attr_float(node, "beta").unwrap_or(1.0) as f64;
        let trans_a = attr_int(node, "transA").unwrap_or(0) == 1;
        let trans_b = attr_int(node, "transB").unwrap_or(0) == 1;
        let sa = self.graph.nodes[a].shape.clone();
        if sa.len() != 2 || b.shape.len() != 2 {
            return Err(node_err(node, format!("expects 2-D operands, got {sa:?} and {:?}", b.shape)));
        }
        let (m, k) = if trans_a { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
        let (kb, n) = if trans_b { (b.shape[1], b.shape[0]) } else { (b.shape[0], b.shape[1]) };
        if k != kb {
            return Err(node_err(node, format!("inner dimensions differ: A is {sa:?}, B is {:?}", b.shape)));
        }
        let bias = match c {
            None => None,
            Some(Value::Const(c)) => Some(c),
            Some(Value::Node(_)) => return Err(node_err(node, "bias C must be a constant".into())),
        };
        if let Some(c) = &bias {
            if broadcast_shape(&c.shape, &[m, n]).ok().as_deref() != Some(&[m, n][..]) {
                return Err(node_err(node, format!("bias C of shape {:?} does not broadcast to [{m}, {n}]", c.shape)));
            }
        }
        let bias_index = bias.as_ref().map(|c| broadcast_index(&c.shape, &[m, n]));
        let mut rows = Vec::with_capacity(m * n);
        for i in 0..m {
            for j in 0..n {
                let terms = (0..k)
                    .map(|p| {
                        let ai = if trans_a { p * m + i } else { i * k + p };
                        let bi = if trans_b { j * k + p } else { p * n + j };
                        Term { input: 0, index: ai as u32, weight: alpha * b.data[bi] }
                    })
                    .collect();
                let bias_v = match (&bias, &bias_index) {
                    (Some(c), Some(idx)) => beta * c.data[idx[i * n + j] as usize],
                    _ => 0.0,
                };
                rows.push(AffineRow { terms, bias: bias_v });
            }
        }
        self.emit(node, Op::Affine { inputs: vec![a], rows }, vec![m, n])
    }

    fn lower_matmul(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (a, b) = (self.value(node, 0)?, self.value(node, 1)?);
        let (x, w) =
            match (a, b) {
                (Value::Node(x), Value::Const(w)) => (x, w),
                (Value::Const(_), Value::Node(_)) => return Err(node_err(
                    node,
                    "constant-times-tensor MatMul (constant on the left) is not supported; put the weight on the right"
                        .into(),
                )),
                (Value::Node(_), Value::Node(_)) => {
                    return Err(node_err(
                        node,
                        "MatMul of two runtime tensors is not supported (weights must be constants)".into(),
                    ))
                }
                (Value::Const(_), Value::Const(_)) => return Err(unsupported(node)),
            };
        let sx = self.graph.nodes[x].shape.clone();
        if w.shape.len() != 2 || sx.is_empty() {
            return Err(node_err(node, format!("expects a 2-D constant weight, got {:?}", w.shape)));
        }
        let k = *sx.last().unwrap();
        let (kw, n) = (w.shape[0], w.shape[1]);
        if k != kw {
            return Err(node_err(node, format!("inner dimensions differ: {sx:?} x {:?}", w.shape)));
        }
        let m: usize = sx[..sx.len() - 1].iter().product();
        let mut rows = Vec::with_capacity(m * n);
        for i in 0..m {
            for j in 0..n {
                let terms =
                    (0..k).map(|p| Term { input: 0, index: (i * k + p) as u32, weight: w.data[p * n + j] }).collect();
                rows.push(AffineRow { terms, bias: 0.0 });
            }
        }
        let mut shape = sx[..sx.len() - 1].to_vec();
        shape.push(n);
        self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
    }

    fn spatial_input(&self, node: &pb::NodeProto) -> Result<(usize, [usize; 3]), ZkError> {
        match self.value(node, 0)? {
            Value::Node(id) => {
                let s = &self.graph.nodes[id].shape;
                if s.len() != 4 || s[0] != 1 {
                    return Err(node_err(node, format!("expects a [1, C, H, W] input, got {s:?}")));
                }
                Ok((id, [s[1], s[2], s[3]]))
            }
            Value::Const(_) => Err(node_err(node, "input must be a runtime tensor".into())),
        }
    }

    fn lower_conv(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, [c, h, w]) = self.spatial_input(node)?;
        let wt = self.constant(node, 1, "weight W")?;
        let bias = match self.optional_value(node, 2)? {
            None => None,
            Some(Value::Const(b)) => Some(b),
            Some(Value::Node(_)) => return Err(node_err(node, "bias must be a constant".into())),
        };
        if attr_int(node, "group").unwrap_or(1) != 1 {
            return Err(node_err(node, "grouped convolution (group != 1) is not supported".into()));
        }
        if wt.shape.len() != 4 || wt.shape[1] != c {
            return Err(node_err(node, format!("weight shape {:?} does not match {c} input channels", wt.shape)));
        }
        let (m, kh, kw) = (wt.shape[0], wt.shape[2], wt.shape[3]);
        if let Some(b) = &bias {
            if b.data.len() != m {
                return Err(node_err(node, format!("bias has {} values for {m} output channels", b.data.len())));
            }
        }
        let geo = Window::from_attrs(node, [h, w], [kh, kw])?;
        let (oh, ow) = (geo.out[0], geo.out[1]);
        let mut rows = Vec::with_capacity(m * oh * ow);
        for oc in 0..m {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut terms = Vec::with_capacity(c * kh * kw);
                    for ic in 0..c {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                if let Some((iy, ix)) = geo.source(oy, ox, ky, kx) {
                                    let weight = wt.data[((oc * c + ic) * kh + ky) * kw + kx];
                                    terms.push(Term { input: 0, index: ((ic * h + iy) * w + ix) as u32, weight });
                                }
                            }
                        }
                    }
                    let bias = bias.as_ref().map(|b| b.data[oc]).unwrap_or(0.0);
                    rows.push(AffineRow { terms, bias });
                }
            }
        }
        self.emit(node, Op::Affine { inputs: vec![x], rows }, vec![1, m, oh, ow])
    }

    fn lower_pool(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let (x, [c, h, w]) = self.spatial_input(node)?;
        let global = node.op_type == "GlobalAveragePool";
        let kernel = if global {
            [h, w]
        } else {
            let k = attr_ints(node, "kernel_shape").ok_or_else(|| node_err(node, "needs kernel_shape".into()))?;
            if k.len() != 2 {
                return Err(node_err(node, "only 2-D pooling is supported".into()));
            }
            [k[0] as usize, k[1] as usize]
        };
        let geo = if global { Window::plain([h, w], kernel) } else { Window::from_attrs(node, [h, w], kernel)? };
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
        let shape = vec![1, c, oh, ow];
        if is_max {
            self.emit(node, Op::Max { input: x, windows }, shape)
        } else {
            self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
        }
    }

    fn lower_batchnorm(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let x = match self.value(node, 0)? {
            Value::Node(id) => id,
            Value::Const(_) => return Err(node_err(node, "input must be a runtime tensor".into())),
        };
        let scale = self.constant(node, 1, "scale")?;
        let bias = self.constant(node, 2, "bias")?;
        let mean = self.constant(node, 3, "mean")?;
        let var = self.constant(node, 4, "var")?;
        let eps = attr_float(node, "epsilon").unwrap_or(1e-5) as f64;
        let shape = self.graph.nodes[x].shape.clone();
        if shape.len() < 2 {
            return Err(node_err(node, format!("expects [N, C, ...] input, got {shape:?}")));
        }
        let c = shape[1];
        for (what, t) in [("scale", &scale), ("bias", &bias), ("mean", &mean), ("var", &var)] {
            if t.data.len() != c {
                return Err(node_err(node, format!("{what} has {} values for {c} channels", t.data.len())));
            }
        }
        let inner: usize = shape[2..].iter().product();
        let total: usize = shape.iter().product();
        let rows = (0..total)
            .map(|i| {
                let ch = (i / inner) % c;
                let a = scale.data[ch] / (var.data[ch] + eps).sqrt();
                AffineRow {
                    terms: vec![Term { input: 0, index: i as u32, weight: a }],
                    bias: bias.data[ch] - a * mean.data[ch],
                }
            })
            .collect();
        self.emit(node, Op::Affine { inputs: vec![x], rows }, shape)
    }
}

/// Sliding-window geometry shared by Conv and the pools.
struct Window {
    input: [usize; 2],
    stride: [usize; 2],
    dilation: [usize; 2],
    pad_begin: [usize; 2],
    out: [usize; 2],
}

impl Window {
    fn plain(input: [usize; 2], kernel: [usize; 2]) -> Window {
        Window {
            input,
            stride: [1, 1],
            dilation: [1, 1],
            pad_begin: [0, 0],
            out: [input[0] - kernel[0] + 1, input[1] - kernel[1] + 1],
        }
    }

    fn from_attrs(node: &pb::NodeProto, input: [usize; 2], kernel: [usize; 2]) -> Result<Window, ZkError> {
        let pair = |name: &str, default: usize| -> Result<[usize; 2], ZkError> {
            match attr_ints(node, name) {
                None => Ok([default, default]),
                Some(v) if v.len() == 2 && v.iter().all(|&x| x >= 1) => Ok([v[0] as usize, v[1] as usize]),
                Some(v) => Err(node_err(node, format!("unsupported {name} {v:?}"))),
            }
        };
        let stride = pair("strides", 1)?;
        let dilation = pair("dilations", 1)?;
        let eff = [dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1];
        let auto_pad = attr_string(node, "auto_pad").unwrap_or_default();
        let (begin, end) = match auto_pad.as_str() {
            "" | "NOTSET" => {
                let p = attr_ints(node, "pads").unwrap_or_else(|| vec![0; 4]);
                if p.len() != 4 || p.iter().any(|&x| x < 0) {
                    return Err(node_err(node, format!("unsupported pads {p:?}")));
                }
                ([p[0] as usize, p[1] as usize], [p[2] as usize, p[3] as usize])
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
    fn source(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let y = (oy * self.stride[0] + ky * self.dilation[0]) as isize - self.pad_begin[0] as isize;
        let x = (ox * self.stride[1] + kx * self.dilation[1]) as isize - self.pad_begin[1] as isize;
        if y < 0 || x < 0 || y as usize >= self.input[0] || x as usize >= self.input[1] {
            None
        } else {
            Some((y as usize, x as usize))
        }
    }
}

fn unsupported(node: &pb::NodeProto) -> ZkError {
    let domain = if node.domain.is_empty() { String::new() } else { format!(" (domain {})", node.domain) };
    ZkError::input(format!(
        "ONNX node '{}': operator {}{domain} is not supported. Supported operators: {}",
        node_label(node),
        node.op_type,
        SUPPORTED_OPS.join(", ")
    ))
}

fn node_err(node: &pb::NodeProto, msg: String) -> ZkError {
    ZkError::input(format!("ONNX node '{}' ({}): {msg}", node_label(node), node.op_type))
}

fn attr<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn attr_int(node: &pb::NodeProto, name: &str) -> Option<i64> {
    attr(node, name).map(|a| a.i)
}

fn attr_float(node: &pb::NodeProto, name: &str) -> Option<f32> {
    attr(node, name).map(|a| a.f)
}

fn attr_ints(node: &pb::NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(node, name).map(|a| a.ints.clone())
}

fn attr_string(node: &pb::NodeProto, name: &str) -> Option<String> {
    attr(node, name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

fn constant_attr(node: &pb::NodeProto) -> Result<Const, ZkError> {
    if let Some(t) = attr(node, "value").and_then(|a| a.t.as_ref()) {
        return tensor_to_const(t).map_err(|e| node_err(node, e));
    }
    if let Some(a) = attr(node, "value_float") {
        return Ok(Const { shape: vec![], data: vec![a.f as f64] });
    }
    if let Some(a) = attr(node, "value_floats") {
        return Ok(Const { shape: vec![a.floats.len()], data: a.floats.iter().map(|&x| x as f64).collect() });
    }
    if let Some(a) = attr(node, "value_int") {
        return Ok(Const { shape: vec![], data: vec![a.i as f64] });
    }
    if let Some(a) = attr(node, "value_ints") {
        return Ok(Const { shape: vec![a.ints.len()], data: a.ints.iter().map(|&x| x as f64).collect() });
    }
    Err(node_err(node, "Constant without a supported value attribute".into()))
}

fn tensor_to_const(t: &pb::TensorProto) -> Result<Const, String> {
    use pb::tensor_proto::DataType;
    if t.data_location == Some(1) || !t.external_data.is_empty() {
        return Err("external tensor data is not supported; save the model with weights embedded".into());
    }
    let shape: Vec<usize> = t.dims.iter().map(|&d| d.max(0) as usize).collect();
    let n: usize = shape.iter().product();
    let raw = &t.raw_data;
    let dt = DataType::try_from(t.data_type).map_err(|_| format!("unknown data type {}", t.data_type))?;
    let data: Vec<f64> = match dt {
        DataType::Float => {
            if raw.is_empty() {
                t.float_data.iter().map(|&x| x as f64).collect()
            } else {
                raw.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64).collect()
            }
        }
        DataType::Double => {
            if raw.is_empty() {
                t.double_data.clone()
            } else {
                raw.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
            }
        }
        DataType::Int64 => {
            if raw.is_empty() {
                t.int64_data.iter().map(|&x| x as f64).collect()
            } else {
                raw.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f64).collect()
            }
        }
        DataType::Int32 => {
            if raw.is_empty() {
                t.int32_data.iter().map(|&x| x as f64).collect()
            } else {
                raw.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f64).collect()
            }
        }
        other => return Err(format!("tensor data type {other:?} is not supported")),
    };
    if data.len() != n {
        return Err(format!("holds {} values for shape {shape:?}", data.len()));
    }
    if data.iter().any(|x| !x.is_finite()) {
        return Err("contains NaN or infinite values".into());
    }
    Ok(Const { shape, data })
}

fn value_info_shape(v: &pb::ValueInfoProto) -> Option<Vec<usize>> {
    use pb::tensor_shape_proto::dimension::Value as Dim;
    let pb::type_proto::Value::TensorType(t) = v.r#type.as_ref()?.value.as_ref()?;
    let shape = t.shape.as_ref()?;
    Some(
        shape
            .dim
            .iter()
            .map(|d| match d.value {
                Some(Dim::DimValue(x)) if x > 0 => x as usize,
                _ => 1,
            })
            .collect(),
    )
}

fn resolve_reshape(input: &[usize], target: &[f64], allow_zero: bool) -> Result<Vec<usize>, String> {
    let total: usize = input.iter().product();
    let mut out = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &d) in target.iter().enumerate() {
        let d = d as i64;
        match d {
            -1 => {
                if infer.is_some() {
                    return Err("more than one -1 in the target shape".into());
                }
                infer = Some(i);
                out.push(1);
            }
            0 if !allow_zero => out.push(*input.get(i).ok_or("0 in target shape past the input rank")?),
            d if d >= 0 => out.push(d as usize),
            d => return Err(format!("invalid dimension {d} in the target shape")),
        }
    }
    if let Some(i) = infer {
        let known: usize = out.iter().product();
        if known == 0 || !total.is_multiple_of(known) {
            return Err(format!("cannot infer -1 reshaping {input:?} to {target:?}"));
        }
        out[i] = total / known;
    }
    if out.iter().product::<usize>() != total {
        return Err(format!("cannot reshape {input:?} into {out:?}"));
    }
    Ok(out)
}

fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err(format!("shapes {a:?} and {b:?} do not broadcast")),
        };
    }
    Ok(out)
}

/// For every element of `out` (row-major), the flat index it reads from a tensor of shape `from`
/// under numpy broadcasting.
fn broadcast_index(from: &[usize], out: &[usize]) -> Vec<u32> {
    let rank = out.len();
    let total: usize = out.iter().product();
    let mut strides = vec![0usize; rank];
    let mut s = 1;
    for i in (0..from.len()).rev() {
        let axis = i + rank - from.len();
        strides[axis] = if from[i] == 1 { 0 } else { s };
        s *= from[i];
    }
    let mut result = Vec::with_capacity(total);
    for flat in 0..total {
        let mut rem = flat;
        let mut idx = 0;
        for axis in (0..rank).rev() {
            let coord = rem % out[axis];
            rem /= out[axis];
            idx += coord * strides[axis];
        }
        result.push(idx as u32);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_indices() {
        assert_eq!(broadcast_shape(&[1, 4], &[4]).unwrap(), vec![1, 4]);
        assert_eq!(broadcast_index(&[4], &[2, 4]), vec![0, 1, 2, 3, 0, 1, 2, 3]);
        assert_eq!(broadcast_index(&[2, 1], &[2, 3]), vec![0, 0, 0, 1, 1, 1]);
        assert_eq!(broadcast_index(&[1], &[3]), vec![0, 0, 0]);
        assert!(broadcast_shape(&[2, 3], &[4]).is_err());
    }

    #[test]
    fn reshape_rules() {
        assert_eq!(resolve_reshape(&[1, 2, 3], &[1.0, -1.0], false).unwrap(), vec![1, 6]);
        assert_eq!(resolve_reshape(&[1, 2, 3], &[0.0, 6.0], false).unwrap(), vec![1, 6]);
        assert!(resolve_reshape(&[1, 2, 3], &[-1.0, -1.0], false).is_err());
        assert!(resolve_reshape(&[1, 2, 3], &[4.0], false).is_err());
    }
}
