//! The circuit's layout as plain data: every fixed coefficient, every witness value, every copy.
//!
//! The same builder runs at keygen (no inputs: witness values are placeholders) and at proving
//! (real inputs), so the fixed columns cannot drift between the two. Witness values are computed
//! here, in integers, while the rows are laid out: there is no second evaluator of the quantised
//! model that could disagree with what the circuit proves.
//!
//! Two tracks fill rows independently from row 0 and share the circuit's height:
//! * the arithmetic track (lanes `x_0..x_{L-1}`, `acc`) proves, on every row,
//!   `o * acc = carry * acc_prev + bias + sum_j w_j * x_j + prod * x_0 * x_1`;
//! * the lookup track (`lin`, `lout`, fixed `tag`) proves `(tag, lin, lout)` is in the table.

use halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use std::collections::{BTreeSet, HashMap, HashSet};

use super::tables::{RangeBlock, TableSpec, MAX_LIMB_BITS};
use crate::encoding::field::fe;
use crate::encoding::Scale;
use crate::error::ZkError;

/// Where a value lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CellRef {
    Lane { row: u32, lane: u8 },
    Acc { row: u32 },
    Lin { row: u32 },
    Lout { row: u32 },
}

/// A value and its home cell; every other use of it is a copy constrained equal to the home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wire {
    pub cell: CellRef,
    pub value: i128,
}

/// Fixed part of one arithmetic row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArithRow {
    /// 1: `acc` is defined by this row; 0: the row only asserts the right-hand side is zero.
    pub o: bool,
    /// With `o`, the row defines `2^o_shift * acc` rather than `acc`: an exact division, so a
    /// rescale's quotient is its accumulator and needs no lane of its own.
    pub o_shift: u32,
    /// 1: add the previous row's `acc` (continue a chain).
    pub carry: bool,
    /// 1: add `x_0 * x_1`.
    pub prod: bool,
    pub bias: Fr,
}

/// A value that is any field element (a hash state, a packed word), not a signed integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldWire {
    pub cell: CellRef,
    pub value: Fr,
}

impl From<Wire> for FieldWire {
    fn from(w: Wire) -> Self {
        FieldWire { cell: w.cell, value: fe(w.value) }
    }
}

/// A lane's content in a field-valued row.
#[derive(Clone, Copy, Debug)]
pub enum FieldInput {
    Copy(FieldWire),
    Fresh(Fr),
}

/// A lane's content in a new row: a copy of an existing wire, or a new value homed here.
#[derive(Clone, Copy, Debug)]
pub enum LaneInput {
    Copy(Wire),
    Fresh(i128),
    Empty,
}

/// Shape parameters chosen at compile time and stored in the build settings. What the circuit
/// exposes (visibility, packing) is the build's [`crate::encoding::InstanceLayout`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutParams {
    pub lanes: usize,
    pub table: TableSpec,
    /// Range of each model input in bits, in input order; an input not listed has the activation
    /// range. An input narrow enough for one limb is homed in its range lookup's output and costs
    /// no arithmetic row, which is why calibration narrows it when its samples allow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_bits: Vec<u32>,
}

impl LayoutParams {
    pub fn new(lanes: usize, table: TableSpec) -> LayoutParams {
        LayoutParams { lanes, table, input_bits: Vec::new() }
    }

    /// The range of input `index` in bits.
    pub fn input_bits(&self, index: usize) -> u32 {
        self.input_bits.get(index).copied().unwrap_or(self.table.range_bits)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub lanes: usize,
    pub arith: Vec<ArithRow>,
    /// Row-major `arith.len() x lanes`. Cells are field elements: packed instances exceed any
    /// machine integer, so only wires (below) carry signed-integer meaning.
    pub weights: Vec<Fr>,
    pub lane_values: Vec<Fr>,
    pub acc_values: Vec<Fr>,
    pub lookup_tags: Vec<u8>,
    pub lin_values: Vec<i128>,
    pub lout_values: Vec<i128>,
    pub table: Vec<(u8, i128, i128)>,
    /// Pairs of cells constrained equal.
    pub copies: Vec<(CellRef, CellRef)>,
    /// The cell each public instance row is bound to, in instance order.
    pub instance_cells: Vec<CellRef>,
    pub instance_values: Vec<Fr>,
    /// Quantised model outputs, one flat vector per output.
    pub outputs: Vec<Vec<i128>>,
    /// Every node's quantised values, in graph order (calibration reads where precision is lost).
    pub node_values: Vec<Vec<i128>>,
}

impl Layout {
    /// Usable rows the circuit needs.
    pub fn rows(&self) -> usize {
        self.arith.len().max(self.lookup_tags.len()).max(self.table.len()).max(self.instance_cells.len())
    }

    pub fn value_at(&self, cell: CellRef) -> Fr {
        match cell {
            CellRef::Lane { row, lane } => self.lane_values[row as usize * self.lanes + lane as usize],
            CellRef::Acc { row } => self.acc_values[row as usize],
            CellRef::Lin { row } => fe(self.lin_values[row as usize]),
            CellRef::Lout { row } => fe(self.lout_values[row as usize]),
        }
    }
}

/// Lays out rows and computes witness values; the chips in [`super::chips`] extend it.
pub struct LayoutBuilder {
    pub(crate) layout: Layout,
    pub(crate) table: TableSpec,
    pub(crate) scale: Scale,
    /// False at keygen: values are placeholders and range violations are not errors.
    pub(crate) witness: bool,
    /// `(name, op)` of the model layer being laid out, for error messages.
    pub(crate) context: (String, String),
    /// First arithmetic overflow met (reported by [`Self::take_error`] after each layer).
    overflow: Option<ZkError>,
    /// Integer value of the last row's accumulator, for chains (`None` after a packing row).
    last_acc: Option<i128>,
    /// The range blocks used so far: the table holds exactly these.
    blocks: BTreeSet<RangeBlock>,
    /// Cells already proved to lie in the activation range: a second range check of them would
    /// prove nothing new.
    pub(crate) in_range: HashSet<CellRef>,
    /// Sign bits of cells decomposed at the activation range: a ReLU of a range-checked value
    /// reuses the bit its range proof already yielded.
    pub(crate) signs: HashMap<CellRef, Wire>,
}

impl LayoutBuilder {
    pub fn new(lanes: usize, table: TableSpec, scale: Scale, witness: bool) -> Self {
        assert!(lanes >= 2, "the rescale row needs two lanes");
        assert!((1..=MAX_LIMB_BITS).contains(&table.limb_bits), "limb width {}", table.limb_bits);
        let layout = Layout { lanes, ..Layout::default() };
        let mut b = LayoutBuilder {
            layout,
            table,
            scale,
            witness,
            context: (String::new(), String::new()),
            overflow: None,
            last_acc: Some(0),
            blocks: BTreeSet::new(),
            in_range: HashSet::new(),
            signs: HashMap::new(),
        };
        // Row 0 stays empty: a chain's `acc_prev` must never wrap around to the last (blinding) row.
        b.arith_row_int(false, false, false, 0, &[]);
        b
    }

    pub fn set_context(&mut self, name: &str, op_type: &str) {
        self.context = (name.to_string(), op_type.to_string());
    }

    /// The finished layout, its table holding the range blocks the rows used. The blocks depend
    /// only on the graph's structure, never on witness values, so keygen and proving build the
    /// same table.
    pub fn finish(mut self) -> Layout {
        self.layout.table = self.table.entries(self.scale, &self.blocks);
        self.layout
    }

    /// The first overflow since the last call, if any: values no longer fit the witness integers.
    pub fn take_error(&mut self) -> Result<(), ZkError> {
        match self.overflow.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub(crate) fn overflowed(&mut self) -> i128 {
        if self.overflow.is_none() {
            self.overflow = Some(ZkError::input(format!(
                "layer '{}' ({}): intermediate values overflow 127 bits; the model's values grow without bound",
                self.context.0, self.context.1
            )));
        }
        0
    }

    pub fn lanes(&self) -> usize {
        self.layout.lanes
    }

    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// Appends one arithmetic row with integer coefficients; returns the wires homed or copied into
    /// its lanes and its `acc`. `o`, `carry`, `prod` as in [`ArithRow`].
    pub fn arith_row_int(
        &mut self,
        o: bool,
        carry: bool,
        prod: bool,
        bias: i128,
        lanes: &[(LaneInput, i128)],
    ) -> (Vec<Wire>, Wire) {
        self.int_row(ArithRow { o, carry, prod, bias: fe(bias), o_shift: 0 }, bias, lanes)
    }

    /// A row defining `acc = (acc_prev + bias + sum(w * x)) / 2^shift`, which must divide exactly.
    pub fn quotient_row(&mut self, shift: u32, bias: i128, lanes: &[(LaneInput, i128)]) -> Wire {
        let spec = ArithRow { o: true, carry: true, prod: false, bias: fe(bias), o_shift: shift };
        self.int_row(spec, bias, lanes).1
    }

    fn int_row(&mut self, spec: ArithRow, bias: i128, lanes: &[(LaneInput, i128)]) -> (Vec<Wire>, Wire) {
        let width = self.layout.lanes;
        assert!(lanes.len() <= width);
        let row = self.layout.arith.len() as u32;
        let mut lane_wires = Vec::with_capacity(lanes.len());
        let mut sum = bias;
        let mut xs = vec![0i128; width];
        for (j, (input, weight)) in lanes.iter().enumerate() {
            let cell = CellRef::Lane { row, lane: j as u8 };
            let value = match *input {
                LaneInput::Copy(w) => {
                    self.layout.copies.push((w.cell, cell));
                    w.value
                }
                LaneInput::Fresh(v) => v,
                LaneInput::Empty => 0,
            };
            xs[j] = value;
            sum = match weight.checked_mul(value).and_then(|t| sum.checked_add(t)) {
                Some(v) => v,
                None => self.overflowed(),
            };
            lane_wires.push(Wire { cell, value });
        }
        for (j, &x) in xs.iter().enumerate() {
            self.layout.weights.push(fe(lanes.get(j).map(|l| l.1).unwrap_or(0)));
            self.layout.lane_values.push(fe(x));
        }
        if spec.carry {
            // An `o = 0` row leaves its acc free: chaining from it would chain from a prover choice.
            assert!(self.layout.arith.last().is_some_and(|r| r.o), "carry from a row that defines no accumulator");
            let prev = self.last_acc.expect("carry from a packing row");
            sum = sum.checked_add(prev).unwrap_or_else(|| self.overflowed());
        }
        if spec.prod {
            sum = xs[0].checked_mul(xs[1]).and_then(|p| sum.checked_add(p)).unwrap_or_else(|| self.overflowed());
        }
        let unit = 1i128 << spec.o_shift;
        debug_assert!(!self.witness || spec.o || sum == 0, "assert row does not hold: {sum}");
        debug_assert!(!self.witness || sum % unit == 0, "quotient row does not divide: {sum} / {unit}");
        let acc = if spec.o { sum.div_euclid(unit) } else { 0 };
        self.layout.arith.push(spec);
        self.layout.acc_values.push(fe(acc));
        self.last_acc = Some(acc);
        (lane_wires, Wire { cell: CellRef::Acc { row }, value: acc })
    }

    /// Appends one lookup row `(tag, input, out)`; returns `(lin wire, lout wire)`. The caller
    /// computes `out` with the same code that builds the table block, so the two cannot differ.
    pub fn lookup_row(&mut self, tag: u8, input: LaneInput, out: i128) -> (Wire, Wire) {
        let row = self.layout.lookup_tags.len() as u32;
        let lin = CellRef::Lin { row };
        let value = match input {
            LaneInput::Copy(w) => {
                self.layout.copies.push((w.cell, lin));
                w.value
            }
            LaneInput::Fresh(v) => v,
            LaneInput::Empty => 0,
        };
        self.layout.lookup_tags.push(tag);
        self.layout.lin_values.push(value);
        self.layout.lout_values.push(out);
        (Wire { cell: lin, value }, Wire { cell: CellRef::Lout { row }, value: out })
    }

    /// Homes `value` in a lookup row of `block`; returns the input wire and the block's output.
    pub fn range_lookup(&mut self, block: RangeBlock, value: i128) -> (Wire, Wire) {
        debug_assert!(!self.witness || (0..1i128 << block.width).contains(&value), "limb {value} exceeds {block:?}");
        self.blocks.insert(block);
        self.lookup_row(block.tag(), LaneInput::Fresh(value), block.output(value))
    }

    /// In witness mode, `value` must lie in `[-2^(bits-1), 2^(bits-1))` or the layer's inputs have
    /// left the circuit's range (an error naming the layer, never a proof). At keygen the value
    /// is a placeholder: 0 stands in.
    pub fn checked_signed(&self, value: i128, bits: u32) -> Result<i128, ZkError> {
        let half = 1i128 << (bits - 1);
        if (-half..half).contains(&value) {
            Ok(value)
        } else if self.witness {
            Err(self.range_error(value, bits))
        } else {
            Ok(0)
        }
    }

    fn range_error(&self, value: i128, bits: u32) -> ZkError {
        let s = self.scale;
        let half = 1i128 << (bits - 1);
        ZkError::input(format!(
            "layer '{}' ({}): value {:.4} (fixed point {value}) is outside the circuit's range [{}, {}); \
             recompile with calibration data that covers this input, or more --headroom",
            self.context.0,
            self.context.1,
            s.to_float(value),
            s.to_float(-half),
            s.to_float(half),
        ))
    }

    /// Binds `wire` to the next public instance.
    pub fn expose(&mut self, wire: Wire) {
        self.expose_cell(wire.cell, fe(wire.value));
    }

    /// Binds a cell holding `value` (possibly beyond any integer wire) to the next public instance.
    pub fn expose_cell(&mut self, cell: CellRef, value: Fr) {
        self.layout.instance_cells.push(cell);
        self.layout.instance_values.push(value);
    }

    /// Appends a row whose coefficients and values are given as field elements (packing rows);
    /// its accumulator is no integer, so no chain may continue from it.
    pub fn push_field_row(&mut self, spec: ArithRow, lanes: &[(LaneInput, Fr)]) -> CellRef {
        assert!(!spec.prod);
        let inputs: Vec<(FieldInput, Fr)> = lanes
            .iter()
            .map(|&(input, weight)| {
                let input = match input {
                    LaneInput::Copy(w) => FieldInput::Copy(w.into()),
                    LaneInput::Fresh(v) => FieldInput::Fresh(fe(v)),
                    LaneInput::Empty => FieldInput::Fresh(Fr::zero()),
                };
                (input, weight)
            })
            .collect();
        self.field_row(spec, &inputs).cell
    }

    /// Homes a free witness value (a salt) in a lane of its own row.
    pub fn home_field(&mut self, value: Fr) -> FieldWire {
        let row = self.layout.arith.len() as u32;
        self.field_row(ArithRow { o: true, ..ArithRow::default() }, &[(FieldInput::Fresh(value), Fr::zero())]);
        FieldWire { cell: CellRef::Lane { row, lane: 0 }, value }
    }

    /// Appends a row over field values: `acc = [carry * acc_prev] + bias + sum_j w_j x_j [+ x_0 x_1]`.
    /// Its accumulator is no integer, so no integer chain may continue from it.
    pub fn field_row(&mut self, spec: ArithRow, lanes: &[(FieldInput, Fr)]) -> FieldWire {
        let width = self.layout.lanes;
        assert!(lanes.len() <= width && spec.o);
        let row = self.layout.arith.len() as u32;
        let mut acc = spec.bias;
        if spec.carry {
            assert!(self.layout.arith.last().is_some_and(|r| r.o), "carry from a row that defines no accumulator");
            acc += self.layout.acc_values.last().copied().unwrap_or_default();
        }
        let mut xs = vec![Fr::zero(); width];
        for (j, x) in xs.iter_mut().enumerate() {
            let (value, weight) = match lanes.get(j) {
                Some((FieldInput::Copy(w), weight)) => {
                    self.layout.copies.push((w.cell, CellRef::Lane { row, lane: j as u8 }));
                    (w.value, *weight)
                }
                Some((FieldInput::Fresh(v), weight)) => (*v, *weight),
                None => (Fr::zero(), Fr::zero()),
            };
            *x = value;
            acc += weight * value;
            self.layout.weights.push(weight);
            self.layout.lane_values.push(value);
        }
        if spec.prod {
            acc += xs[0] * xs[1];
        }
        self.layout.arith.push(spec);
        self.layout.acc_values.push(acc);
        self.last_acc = None;
        FieldWire { cell: CellRef::Acc { row }, value: acc }
    }
}
