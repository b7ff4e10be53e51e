//! Recurrent layers (LSTM, GRU, RNN), unrolled over their static sequence length.
//!
//! A cell is what the circuit already proves: each group of gates is one affine map over the
//! step's input, the previous hidden state and (for peepholes) the cell state, with the gate
//! function fused into it; the state updates are element-wise products and exact sums. A constant
//! initial state (zeros, as PyTorch and Keras export) folds into the biases, so the first step
//! multiplies nothing by the state. Weights must be constants, as every exporter writes them, and
//! `sequence_lens`, when given, must say every sequence is full length: the circuit's shape is
//! fixed when it is compiled.

use tract_onnx::pb;

use super::proto::{attr_float, attr_floats, attr_int, attr_string, attr_strings};
use super::{node_err, node_label, Const, Lowering, Value};
use crate::error::ZkError;
use crate::model::graph::{Activation, AffineRow, Op, Param, Term};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Lstm,
    Gru,
    Rnn,
}

impl Kind {
    /// Gate blocks in W and R (LSTM `iofc`, GRU `zrh`, RNN `i`).
    fn gates(self) -> usize {
        match self {
            Kind::Lstm => 4,
            Kind::Gru => 3,
            Kind::Rnn => 1,
        }
    }

    fn default_functions(self) -> &'static [&'static str] {
        match self {
            Kind::Lstm => &["Sigmoid", "Tanh", "Tanh"],
            Kind::Gru => &["Sigmoid", "Tanh"],
            Kind::Rnn => &["Tanh"],
        }
    }
}

// Gate blocks, in the order ONNX stores them.
const LSTM_I: usize = 0;
const LSTM_O: usize = 1;
const LSTM_F: usize = 2;
const LSTM_C: usize = 3;
const GRU_Z: usize = 0;
const GRU_R: usize = 1;
const GRU_H: usize = 2;

/// One of the functions the recurrent operators name: `post * table(scale * x + shift)`, so the
/// optional Affine and ScaledTanh fold into the gate's weights around an existing table.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Function {
    scale: f64,
    shift: f64,
    table: Option<Activation>,
    post: f64,
}

impl Function {
    fn table(a: Activation) -> Function {
        Function { scale: 1.0, shift: 0.0, table: Some(a), post: 1.0 }
    }
}

/// Parses one function name, consuming its parameters from `alphas` / `betas` in order (the spec:
/// "consumed in the order of activation functions"); missing ones take the defaults of the ONNX
/// operator of the same name.
fn parse_function(
    name: &str,
    alphas: &mut impl Iterator<Item = f64>,
    betas: &mut impl Iterator<Item = f64>,
) -> Result<Function, String> {
    let param = |v: f64| Param::new(v as f32);
    Ok(match name.to_ascii_lowercase().as_str() {
        "sigmoid" => Function::table(Activation::Sigmoid),
        "tanh" => Function::table(Activation::Tanh),
        "relu" => Function::table(Activation::Relu),
        "softplus" => Function::table(Activation::Softplus),
        "leakyrelu" => Function::table(Activation::LeakyRelu { alpha: param(alphas.next().unwrap_or(0.01)) }),
        "elu" => Function::table(Activation::Elu { alpha: param(alphas.next().unwrap_or(1.0)) }),
        "hardsigmoid" => {
            let alpha = param(alphas.next().unwrap_or(0.2));
            Function::table(Activation::HardSigmoid { alpha, beta: param(betas.next().unwrap_or(0.5)) })
        }
        "affine" => {
            let scale = alphas.next().unwrap_or(1.0);
            Function { scale, shift: betas.next().unwrap_or(0.0), table: None, post: 1.0 }
        }
        "scaledtanh" => {
            let post = alphas.next().unwrap_or(1.0);
            Function { scale: betas.next().unwrap_or(1.0), shift: 0.0, table: Some(Activation::Tanh), post }
        }
        "thresholdedrelu" | "softsign" => {
            return Err(format!(
                "activation function {name} is not supported (zkinfer has no table for it); \
                 Sigmoid, Tanh, Relu, LeakyRelu, Elu, HardSigmoid, Softplus, Affine and ScaledTanh are"
            ))
        }
        other => return Err(format!("unknown activation function '{other}'")),
    })
}

/// A `[batch, hidden]` state: constants (an initial state) or elements of a computed tensor.
#[derive(Clone, Debug)]
enum State {
    Const(Vec<f64>),
    Node { id: usize, index: Vec<u32> },
}

impl State {
    /// `n` consecutive elements of node `id` from `offset`.
    fn slice(id: usize, offset: usize, n: usize) -> State {
        State::Node { id, index: (offset..offset + n).map(|i| i as u32).collect() }
    }

    fn is_zero(&self) -> bool {
        matches!(self, State::Const(c) if c.iter().all(|&v| v == 0.0))
    }
}

/// The tensors one affine node reads, each at a position its terms name.
#[derive(Default)]
struct Inputs(Vec<usize>);

impl Inputs {
    fn position(&mut self, id: usize) -> u32 {
        match self.0.iter().position(|&i| i == id) {
            Some(p) => p as u32,
            None => {
                self.0.push(id);
                (self.0.len() - 1) as u32
            }
        }
    }

    /// Adds `weight * state[flat]` to `row`: a term on a computed state, a bias on a constant one.
    fn add(&mut self, row: &mut AffineRow, state: &State, flat: usize, weight: f64) {
        if weight == 0.0 {
            return;
        }
        match state {
            State::Const(c) => row.bias += weight * c[flat],
            State::Node { id, index } => {
                let input = self.position(*id);
                row.terms.push(Term { input, index: index[flat], weight });
            }
        }
    }
}

/// The operator's attributes and constant operands, checked against each other.
struct Layer {
    kind: Kind,
    label: String,
    op_type: String,
    x: usize,
    seq: usize,
    batch: usize,
    input_size: usize,
    hidden: usize,
    dirs: usize,
    reverse_only: bool,
    /// X `[batch, seq, input]` and outputs batch first (opset 14's `layout = 1`).
    batch_first: bool,
    w: Vec<f64>,
    r: Vec<f64>,
    b: Vec<f64>,
    p: Vec<f64>,
    clip: Option<f64>,
    input_forget: bool,
    linear_before_reset: bool,
    /// Per direction: f, g, h (as many as the operator uses).
    functions: Vec<Vec<Function>>,
}

impl Layer {
    fn w(&self, d: usize, gate: usize, j: usize, i: usize) -> f64 {
        self.w[((d * self.kind.gates() + gate) * self.hidden + j) * self.input_size + i]
    }

    fn r(&self, d: usize, gate: usize, j: usize, k: usize) -> f64 {
        self.r[((d * self.kind.gates() + gate) * self.hidden + j) * self.hidden + k]
    }

    /// `Wb + Rb` (or `Wb` alone for GRU's reset-after-linear candidate).
    fn bias(&self, d: usize, gate: usize, j: usize, with_rb: bool) -> f64 {
        let gh = self.kind.gates() * self.hidden;
        let wb = self.b[d * 2 * gh + gate * self.hidden + j];
        if with_rb {
            wb + self.b[d * 2 * gh + gh + gate * self.hidden + j]
        } else {
            wb
        }
    }

    fn rb(&self, d: usize, gate: usize, j: usize) -> f64 {
        let gh = self.kind.gates() * self.hidden;
        self.b[d * 2 * gh + gh + gate * self.hidden + j]
    }

    /// Peephole weight for LSTM gate `i`, `o` or `f` (P is stored `iof`).
    fn peephole(&self, d: usize, gate: usize, j: usize) -> f64 {
        let slot = match gate {
            LSTM_I => 0,
            LSTM_O => 1,
            _ => 2,
        };
        self.p[(d * 3 + slot) * self.hidden + j]
    }

    fn x_index(&self, t: usize, b: usize, i: usize) -> u32 {
        let row = if self.batch_first { b * self.seq + t } else { t * self.batch + b };
        (row * self.input_size + i) as u32
    }

    fn reversed(&self, d: usize) -> bool {
        self.reverse_only || d == 1
    }

    /// The pre-activation row of `gate` for batch `b`, unit `j`: `X W^T + H R^T + biases`, with
    /// `h = None` leaving out the recurrent term (GRU's candidate builds its own).
    #[allow(clippy::too_many_arguments)]
    fn gate_row(
        &self,
        inputs: &mut Inputs,
        d: usize,
        gate: usize,
        t: usize,
        b: usize,
        j: usize,
        h: Option<&State>,
    ) -> AffineRow {
        let x_pos = inputs.position(self.x);
        let mut row = AffineRow { terms: Vec::new(), bias: self.bias(d, gate, j, h.is_some()) };
        for i in 0..self.input_size {
            let weight = self.w(d, gate, j, i);
            if weight != 0.0 {
                row.terms.push(Term { input: x_pos, index: self.x_index(t, b, i), weight });
            }
        }
        if let Some(h) = h {
            for k in 0..self.hidden {
                inputs.add(&mut row, h, b * self.hidden + k, self.r(d, gate, j, k));
            }
        }
        row
    }
}

impl Lowering {
    pub(super) fn lower_recurrent(&mut self, node: &pb::NodeProto) -> Result<(), ZkError> {
        let layer = self.recurrent_layer(node)?;
        let bh = layer.batch * layer.hidden;
        let mut hs: Vec<Vec<Option<State>>> = vec![vec![None; layer.seq]; layer.dirs];
        let mut last_c: Vec<Option<State>> = vec![None; layer.dirs];
        for d in 0..layer.dirs {
            let mut h = self.initial_state(node, &layer, 5, d)?;
            let mut c = self.initial_state(node, &layer, 6, d)?;
            let order: Vec<usize> =
                if layer.reversed(d) { (0..layer.seq).rev().collect() } else { (0..layer.seq).collect() };
            for &t in &order {
                let name = format!("{}/{}{d}/t{t}", layer.label, if layer.reversed(d) { "reverse" } else { "forward" });
                let next = match layer.kind {
                    Kind::Rnn => self.rnn_step(&layer, &name, d, t, &h),
                    Kind::Gru => self.gru_step(&layer, &name, d, t, &h),
                    Kind::Lstm => {
                        let (h_next, c_next) = self.lstm_step(&layer, &name, d, t, &h, &c);
                        c = c_next;
                        h_next
                    }
                };
                h = State::slice(next, 0, bh);
                hs[d][t] = Some(h.clone());
            }
            last_c[d] = Some(c);
        }
        self.bind_recurrent_outputs(node, &layer, &hs, &last_c)
    }

    fn recurrent_layer(&self, node: &pb::NodeProto) -> Result<Layer, ZkError> {
        let kind = match node.op_type.as_str() {
            "LSTM" => Kind::Lstm,
            "GRU" => Kind::Gru,
            _ => Kind::Rnn,
        };
        let x = match self.value(node, 0)? {
            Value::Node(id) => id,
            Value::Const(_) => {
                return Err(node_err(node, "X is a constant: the layer does not depend on the input".into()))
            }
        };
        let x_shape = self.graph.nodes[x].shape.clone();
        let batch_first = match attr_int(node, "layout").unwrap_or(0) {
            0 => false,
            1 => true,
            other => return Err(node_err(node, format!("layout = {other} (expected 0 or 1)"))),
        };
        let [a, b, input_size] = x_shape[..] else {
            return Err(node_err(
                node,
                format!("X has shape {x_shape:?}; expected [seq, batch, input] (or batch first with layout = 1)"),
            ));
        };
        let (seq, batch) = if batch_first { (b, a) } else { (a, b) };
        if seq == 0 || batch == 0 || input_size == 0 {
            return Err(node_err(node, format!("X has an empty dimension (shape {x_shape:?})")));
        }
        let direction = attr_string(node, "direction").unwrap_or_else(|| "forward".into());
        let (dirs, reverse_only) = match direction.as_str() {
            "forward" => (1, false),
            "reverse" => (1, true),
            "bidirectional" => (2, false),
            other => {
                return Err(node_err(
                    node,
                    format!("direction = '{other}' (expected forward, reverse or bidirectional)"),
                ))
            }
        };
        let g = kind.gates();
        let w = self.constant(node, 1, "W")?;
        let r = self.constant(node, 2, "R")?;
        let hidden = match r.shape[..] {
            [_, _, h] if h > 0 => h,
            _ => {
                return Err(node_err(
                    node,
                    format!("R has shape {:?}; expected [directions, {g} * hidden, hidden]", r.shape),
                ))
            }
        };
        if let Some(h) = attr_int(node, "hidden_size") {
            if h as usize != hidden {
                return Err(node_err(node, format!("hidden_size = {h} but R has shape {:?}", r.shape)));
            }
        }
        let expect = |c: &Const, what: &str, shape: Vec<usize>| -> Result<(), ZkError> {
            if c.shape != shape {
                return Err(node_err(
                    node,
                    format!("{what} has shape {:?}; expected {shape:?} (direction = {direction})", c.shape),
                ));
            }
            Ok(())
        };
        expect(&w, "W", vec![dirs, g * hidden, input_size])?;
        expect(&r, "R", vec![dirs, g * hidden, hidden])?;
        let b = match self.optional_value(node, 3)? {
            None => vec![0.0; dirs * 2 * g * hidden],
            Some(_) => {
                let b = self.constant(node, 3, "B")?;
                expect(&b, "B", vec![dirs, 2 * g * hidden])?;
                b.data
            }
        };
        if let Some(v) = self.optional_value(node, 4)? {
            let Value::Const(lens) = v else {
                return Err(node_err(node, "sequence_lens is computed at run time; the unrolled circuit needs every sequence at full length, so leave it out".into()));
            };
            if lens.data.iter().any(|&l| l as usize != seq) {
                return Err(node_err(
                    node,
                    format!("sequence_lens = {:?}: only full-length sequences ({seq}) are supported", lens.data),
                ));
            }
        }
        let p = match (kind, self.optional_value(node, 7)?) {
            (Kind::Lstm, Some(_)) => {
                let p = self.constant(node, 7, "P")?;
                expect(&p, "P", vec![dirs, 3 * hidden])?;
                p.data
            }
            _ => vec![0.0; dirs * 3 * hidden],
        };
        let clip = match attr_float(node, "clip") {
            Some(c) if c > 0.0 => Some(f64::from(c)),
            Some(c) => return Err(node_err(node, format!("clip = {c}; it must be positive"))),
            None => None,
        };
        let input_forget = kind == Kind::Lstm && attr_int(node, "input_forget").unwrap_or(0) != 0;
        let linear_before_reset = kind == Kind::Gru && attr_int(node, "linear_before_reset").unwrap_or(0) != 0;
        let k = kind.default_functions().len();
        let names: Vec<String> = match attr_strings(node, "activations") {
            Some(list) if !list.is_empty() => list,
            _ => (0..dirs).flat_map(|_| kind.default_functions().iter().map(|s| s.to_string())).collect(),
        };
        if names.len() != k * dirs {
            return Err(node_err(
                node,
                format!(
                    "activations lists {} functions; {} needs {} per direction ({})",
                    names.len(),
                    node.op_type,
                    k,
                    k * dirs
                ),
            ));
        }
        let mut alphas = attr_floats(node, "activation_alpha").unwrap_or_default().into_iter();
        let mut betas = attr_floats(node, "activation_beta").unwrap_or_default().into_iter();
        let mut functions = Vec::with_capacity(dirs);
        for chunk in names.chunks(k) {
            let fs = chunk
                .iter()
                .map(|n| parse_function(n, &mut alphas, &mut betas))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| node_err(node, e))?;
            functions.push(fs);
        }
        Ok(Layer {
            kind,
            label: node_label(node),
            op_type: node.op_type.clone(),
            x,
            seq,
            batch,
            input_size,
            hidden,
            dirs,
            reverse_only,
            batch_first,
            w: w.data,
            r: r.data,
            b,
            p,
            clip,
            input_forget,
            linear_before_reset,
            functions,
        })
    }

    /// Direction `d`'s slice of `initial_h` (input 5) or `initial_c` (input 6); zeros when absent.
    fn initial_state(&self, node: &pb::NodeProto, layer: &Layer, input: usize, d: usize) -> Result<State, ZkError> {
        let what = if input == 5 { "initial_h" } else { "initial_c" };
        if input == 6 && layer.kind != Kind::Lstm {
            return Ok(State::Const(vec![0.0; layer.batch * layer.hidden]));
        }
        let Some(v) = self.optional_value(node, input)? else {
            return Ok(State::Const(vec![0.0; layer.batch * layer.hidden]));
        };
        let shape = self.shape_of(&v);
        let expected = if layer.batch_first {
            vec![layer.batch, layer.dirs, layer.hidden]
        } else {
            vec![layer.dirs, layer.batch, layer.hidden]
        };
        if shape != expected {
            return Err(node_err(node, format!("{what} has shape {shape:?}; expected {expected:?}")));
        }
        let flat = |b: usize, j: usize| {
            let row = if layer.batch_first { b * layer.dirs + d } else { d * layer.batch + b };
            row * layer.hidden + j
        };
        let cells = (0..layer.batch).flat_map(|b| (0..layer.hidden).map(move |j| (b, j)));
        Ok(match v {
            Value::Const(c) => State::Const(cells.map(|(b, j)| c.data[flat(b, j)]).collect()),
            Value::Node(id) => State::Node { id, index: cells.map(|(b, j)| flat(b, j) as u32).collect() },
        })
    }

    /// Emits an affine node of `rows` followed by `function`; with a clip the bound applies to the
    /// raw pre-activation, so the function's own scale cannot fold into the rows.
    fn emit_gates(
        &mut self,
        layer: &Layer,
        name: String,
        inputs: Inputs,
        mut rows: Vec<AffineRow>,
        function: Function,
        shape: Vec<usize>,
    ) -> usize {
        let op_type = layer.op_type.clone();
        let mut id;
        let mut pending = function;
        if let Some(c) = layer.clip {
            id = self.push(format!("{name}/pre"), &op_type, Op::Affine { inputs: inputs.0, rows }, shape.clone());
            let clip = Activation::Clip { min: Param::new(-c as f32), max: Param::new(c as f32) };
            id = self.push(
                format!("{name}/clip"),
                &op_type,
                Op::Activation { input: id, function: clip },
                shape.clone(),
            );
            if pending.scale != 1.0 || pending.shift != 0.0 {
                id = self.push_scaled(format!("{name}/scale"), &layer.op_type, id, pending.scale, pending.shift);
            }
        } else {
            for row in &mut rows {
                for t in &mut row.terms {
                    t.weight *= pending.scale;
                }
                row.bias = row.bias * pending.scale + pending.shift;
            }
            id = self.push(format!("{name}/pre"), &op_type, Op::Affine { inputs: inputs.0, rows }, shape.clone());
        }
        pending.scale = 1.0;
        pending.shift = 0.0;
        self.apply_function(layer, name, id, pending, shape)
    }

    /// `post * table(scale * x + shift)` applied element-wise to node `id`.
    fn apply_function(&mut self, layer: &Layer, name: String, mut id: usize, f: Function, shape: Vec<usize>) -> usize {
        if f.scale != 1.0 || f.shift != 0.0 {
            id = self.push_scaled(format!("{name}/scale"), &layer.op_type, id, f.scale, f.shift);
        }
        if let Some(table) = f.table {
            id = self.push(name.clone(), &layer.op_type, Op::Activation { input: id, function: table }, shape.clone());
        }
        if f.post != 1.0 {
            id = self.push_scaled(format!("{name}/post"), &layer.op_type, id, f.post, 0.0);
        }
        id
    }

    /// `out = a ⊙ b` over two states of `[batch, hidden]`.
    fn push_product(&mut self, layer: &Layer, name: String, a: &State, b: &State) -> usize {
        let (State::Node { id: a_id, index: a_index }, State::Node { id: b_id, index: b_index }) = (a, b) else {
            unreachable!("products are taken of computed states only")
        };
        let op = Op::Product { a: *a_id, b: *b_id, a_index: a_index.clone(), b_index: b_index.clone() };
        self.push(name, &layer.op_type, op, vec![layer.batch, layer.hidden])
    }

    /// `out = sum of weight * state` element-wise, each term a `(state, weight)`: exact when the
    /// weights are integers (state sums and differences).
    fn push_sum(&mut self, layer: &Layer, name: String, parts: &[(&State, f64)]) -> usize {
        let mut inputs = Inputs::default();
        let rows = (0..layer.batch * layer.hidden)
            .map(|e| {
                let mut row = AffineRow::default();
                for (s, w) in parts {
                    inputs.add(&mut row, s, e, *w);
                }
                row
            })
            .collect();
        self.push(name, &layer.op_type, Op::Affine { inputs: inputs.0, rows }, vec![layer.batch, layer.hidden])
    }

    /// Gate pre-activations for `gates` stacked as `[gates.len(), batch, hidden]`; `extra` adds
    /// terms to each row (peepholes).
    #[allow(clippy::too_many_arguments)]
    fn gate_group(
        &mut self,
        layer: &Layer,
        name: String,
        d: usize,
        t: usize,
        gates: &[usize],
        h: &State,
        function: Function,
        extra: &dyn Fn(&mut Inputs, &mut AffineRow, usize, usize, usize),
    ) -> usize {
        let mut inputs = Inputs::default();
        let mut rows = Vec::with_capacity(gates.len() * layer.batch * layer.hidden);
        for &gate in gates {
            for b in 0..layer.batch {
                for j in 0..layer.hidden {
                    let mut row = layer.gate_row(&mut inputs, d, gate, t, b, j, Some(h));
                    extra(&mut inputs, &mut row, gate, b, j);
                    rows.push(row);
                }
            }
        }
        self.emit_gates(layer, name, inputs, rows, function, vec![gates.len(), layer.batch, layer.hidden])
    }

    fn rnn_step(&mut self, layer: &Layer, name: &str, d: usize, t: usize, h: &State) -> usize {
        let f = layer.functions[d][0];
        let id = self.gate_group(layer, format!("{name}/h"), d, t, &[0], h, f, &|_, _, _, _, _| {});
        self.push(format!("{name}/H"), &layer.op_type, Op::Alias { input: id }, vec![layer.batch, layer.hidden])
    }

    fn gru_step(&mut self, layer: &Layer, name: &str, d: usize, t: usize, h: &State) -> usize {
        let [f, g] = [layer.functions[d][0], layer.functions[d][1]];
        let bh = layer.batch * layer.hidden;
        let zr = self.gate_group(layer, format!("{name}/zr"), d, t, &[GRU_Z, GRU_R], h, f, &|_, _, _, _, _| {});
        let z = State::slice(zr, 0, bh);
        let r = State::slice(zr, bh, bh);
        // The candidate's recurrent term: Rh (r ⊙ H) + Rbh, or r ⊙ (Rh H + Rbh) with
        // linear_before_reset. Against a constant H both are linear in r.
        let mut inputs = Inputs::default();
        let mut rows = Vec::with_capacity(bh);
        let hidden = layer.hidden;
        let reset_h = match h {
            State::Node { .. } if !layer.linear_before_reset => {
                Some(State::slice(self.push_product(layer, format!("{name}/rH"), &r, h), 0, bh))
            }
            _ => None,
        };
        let recurrent = match h {
            State::Node { .. } if layer.linear_before_reset => {
                let mut u_inputs = Inputs::default();
                let u_rows = (0..layer.batch)
                    .flat_map(|b| (0..hidden).map(move |j| (b, j)))
                    .map(|(b, j)| {
                        let mut row = AffineRow { terms: Vec::new(), bias: layer.rb(d, GRU_H, j) };
                        for k in 0..hidden {
                            u_inputs.add(&mut row, h, b * hidden + k, layer.r(d, GRU_H, j, k));
                        }
                        row
                    })
                    .collect();
                let u = self.push(
                    format!("{name}/hR"),
                    &layer.op_type,
                    Op::Affine { inputs: u_inputs.0, rows: u_rows },
                    vec![layer.batch, hidden],
                );
                Some(State::slice(self.push_product(layer, format!("{name}/r_hR"), &r, &State::slice(u, 0, bh)), 0, bh))
            }
            _ => None,
        };
        for b in 0..layer.batch {
            for j in 0..hidden {
                let mut row = layer.gate_row(&mut inputs, d, GRU_H, t, b, j, None);
                match (h, layer.linear_before_reset) {
                    (State::Node { .. }, false) => {
                        row.bias += layer.rb(d, GRU_H, j);
                        for k in 0..hidden {
                            inputs.add(&mut row, reset_h.as_ref().unwrap(), b * hidden + k, layer.r(d, GRU_H, j, k));
                        }
                    }
                    (State::Node { .. }, true) => {
                        inputs.add(&mut row, recurrent.as_ref().unwrap(), b * hidden + j, 1.0)
                    }
                    (State::Const(c), false) => {
                        row.bias += layer.rb(d, GRU_H, j);
                        for k in 0..hidden {
                            inputs.add(&mut row, &r, b * hidden + k, layer.r(d, GRU_H, j, k) * c[b * hidden + k]);
                        }
                    }
                    (State::Const(c), true) => {
                        let u = layer.rb(d, GRU_H, j)
                            + (0..hidden).map(|k| layer.r(d, GRU_H, j, k) * c[b * hidden + k]).sum::<f64>();
                        inputs.add(&mut row, &r, b * hidden + j, u);
                    }
                }
                rows.push(row);
            }
        }
        let cand = self.emit_gates(layer, format!("{name}/h~"), inputs, rows, g, vec![layer.batch, hidden]);
        let cand = State::slice(cand, 0, bh);
        // H = h~ + z ⊙ (H_prev - h~): one product, exact sums around it.
        let diff = State::slice(self.push_sum(layer, format!("{name}/H-h~"), &[(h, 1.0), (&cand, -1.0)]), 0, bh);
        let zd = State::slice(self.push_product(layer, format!("{name}/z(H-h~)"), &z, &diff), 0, bh);
        self.push_sum(layer, format!("{name}/H"), &[(&cand, 1.0), (&zd, 1.0)])
    }

    /// Returns the new hidden state's node and the new cell state.
    fn lstm_step(&mut self, layer: &Layer, name: &str, d: usize, t: usize, h: &State, c: &State) -> (usize, State) {
        let [f, g, h_fn] = [layer.functions[d][0], layer.functions[d][1], layer.functions[d][2]];
        let bh = layer.batch * layer.hidden;
        let hidden = layer.hidden;
        let peephole_o = (0..hidden).any(|j| layer.peephole(d, LSTM_O, j) != 0.0);
        let mut sig_gates = vec![LSTM_I];
        if !layer.input_forget {
            sig_gates.push(LSTM_F);
        }
        if !peephole_o {
            sig_gates.push(LSTM_O);
        }
        // Peepholes on i and f read the previous cell state, which is already known.
        let peep = |inputs: &mut Inputs, row: &mut AffineRow, gate: usize, b: usize, j: usize| {
            if gate != LSTM_O {
                inputs.add(row, c, b * hidden + j, layer.peephole(d, gate, j));
            }
        };
        let sig = self.gate_group(layer, format!("{name}/gates"), d, t, &sig_gates, h, f, &peep);
        let slot = |gate: usize| sig_gates.iter().position(|&g| g == gate).map(|s| State::slice(sig, s * bh, bh));
        let i = slot(LSTM_I).unwrap();
        let forget = match slot(LSTM_F) {
            Some(s) => s,
            // input_forget couples the gates: f = 1 - i.
            None => {
                let one = State::Const(vec![1.0; bh]);
                State::slice(self.push_sum(layer, format!("{name}/1-i"), &[(&one, 1.0), (&i, -1.0)]), 0, bh)
            }
        };
        let cand = self.gate_group(layer, format!("{name}/c~"), d, t, &[LSTM_C], h, g, &|_, _, _, _, _| {});
        let cand = State::slice(cand, 0, bh);
        // C = f ⊙ C_prev + i ⊙ c~; against a constant C_prev the first term is linear in f.
        let ic = State::slice(self.push_product(layer, format!("{name}/i*c~"), &i, &cand), 0, bh);
        let c_next = match c {
            State::Node { .. } => {
                let fc = State::slice(self.push_product(layer, format!("{name}/f*C"), &forget, c), 0, bh);
                State::slice(self.push_sum(layer, format!("{name}/C"), &[(&fc, 1.0), (&ic, 1.0)]), 0, bh)
            }
            State::Const(_) if c.is_zero() => ic,
            State::Const(values) => {
                let mut inputs = Inputs::default();
                let rows = (0..bh)
                    .map(|e| {
                        let mut row = AffineRow::default();
                        inputs.add(&mut row, &forget, e, values[e]);
                        inputs.add(&mut row, &ic, e, 1.0);
                        row
                    })
                    .collect();
                let id = self.push(
                    format!("{name}/C"),
                    &layer.op_type,
                    Op::Affine { inputs: inputs.0, rows },
                    vec![layer.batch, hidden],
                );
                State::slice(id, 0, bh)
            }
        };
        let o = match slot(LSTM_O) {
            Some(s) => s,
            None => {
                let peep_o = |inputs: &mut Inputs, row: &mut AffineRow, _: usize, b: usize, j: usize| {
                    inputs.add(row, &c_next, b * hidden + j, layer.peephole(d, LSTM_O, j));
                };
                State::slice(self.gate_group(layer, format!("{name}/o"), d, t, &[LSTM_O], h, f, &peep_o), 0, bh)
            }
        };
        let State::Node { id: c_id, index: c_index } = &c_next else { unreachable!("the cell state is computed") };
        // h(C): the cell state's own tensor, in the element order of the state.
        let c_tensor = if c_index.iter().enumerate().all(|(e, &i)| e as u32 == i) {
            *c_id
        } else {
            let picks = c_index.iter().map(|&i| (0, i)).collect();
            self.push(
                format!("{name}/C'"),
                &layer.op_type,
                Op::Gather { inputs: vec![*c_id], picks },
                vec![layer.batch, hidden],
            )
        };
        let hc = self.apply_function(layer, format!("{name}/h(C)"), c_tensor, h_fn, vec![layer.batch, hidden]);
        let h_next = self.push_product(layer, format!("{name}/H"), &o, &State::slice(hc, 0, bh));
        (h_next, c_next)
    }

    /// Y `[seq, dirs, batch, hidden]`, Y_h and Y_c `[dirs, batch, hidden]` (batch first with
    /// layout = 1); only the outputs the model names are built.
    fn bind_recurrent_outputs(
        &mut self,
        node: &pb::NodeProto,
        layer: &Layer,
        hs: &[Vec<Option<State>>],
        last_c: &[Option<State>],
    ) -> Result<(), ZkError> {
        let (seq, dirs, batch, hidden) = (layer.seq, layer.dirs, layer.batch, layer.hidden);
        let state = |s: &Option<State>| -> (usize, Vec<u32>) {
            match s {
                Some(State::Node { id, index }) => (*id, index.clone()),
                _ => unreachable!("every step computes its state"),
            }
        };
        let gather = |this: &mut Self,
                      suffix: &str,
                      order: Vec<(usize, usize, usize)>,
                      states: &dyn Fn(usize, usize) -> (usize, Vec<u32>),
                      shape: Vec<usize>| {
            let mut inputs = Inputs::default();
            let picks = order
                .into_iter()
                .flat_map(|(a, b_, bt)| {
                    let (id, index) = states(a, b_);
                    let pos = inputs.position(id);
                    (0..hidden).map(move |j| (pos, index[bt * hidden + j])).collect::<Vec<_>>()
                })
                .collect();
            this.push(
                format!("{}/{suffix}", layer.label),
                &layer.op_type,
                Op::Gather { inputs: inputs.0, picks },
                shape,
            )
        };
        let mut ids = Vec::new();
        let wanted = |i: usize| node.output.get(i).is_some_and(|o| !o.is_empty());
        if wanted(0) {
            let order: Vec<(usize, usize, usize)> = if layer.batch_first {
                (0..batch).flat_map(|b| (0..seq).flat_map(move |t| (0..dirs).map(move |d| (t, d, b)))).collect()
            } else {
                (0..seq).flat_map(|t| (0..dirs).flat_map(move |d| (0..batch).map(move |b| (t, d, b)))).collect()
            };
            let shape = if layer.batch_first { vec![batch, seq, dirs, hidden] } else { vec![seq, dirs, batch, hidden] };
            let id = gather(self, "Y", order, &|t, d| state(&hs[d][t]), shape);
            ids.push((0, id));
        }
        let final_order: Vec<(usize, usize, usize)> = if layer.batch_first {
            (0..batch).flat_map(|b| (0..dirs).map(move |d| (0, d, b))).collect()
        } else {
            (0..dirs).flat_map(|d| (0..batch).map(move |b| (0, d, b))).collect()
        };
        let final_shape = if layer.batch_first { vec![batch, dirs, hidden] } else { vec![dirs, batch, hidden] };
        let last_t = |d: usize| if layer.reversed(d) { 0 } else { seq - 1 };
        if wanted(1) {
            let id = gather(self, "Y_h", final_order.clone(), &|_, d| state(&hs[d][last_t(d)]), final_shape.clone());
            ids.push((1, id));
        }
        if wanted(2) {
            if layer.kind != Kind::Lstm {
                return Err(node_err(node, format!("{} has two outputs (Y, Y_h); a third was named", node.op_type)));
            }
            let id = gather(self, "Y_c", final_order, &|_, d| state(&last_c[d]), final_shape);
            ids.push((2, id));
        }
        for (i, id) in ids {
            self.values.insert(node.output[i].clone(), Value::Node(id));
        }
        Ok(())
    }
}
