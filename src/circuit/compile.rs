//! Lays out a whole quantised graph: inputs, every layer through its chip, then the public
//! instances (inputs first, then outputs, each flattened row-major).

use halo2_proofs::halo2curves::bn256::Fr;

use super::chips::packing::Packing;
use super::layout::{ArithRow, FieldWire, LaneInput, Layout, LayoutBuilder, LayoutParams, Wire};
use super::tables::TableFn;
use crate::error::ZkError;
use crate::quantise::qgraph::{QGraph, QOp};

/// Lays out `graph`. With `inputs` (fixed-point values, one vector per model input) the witness is
/// computed and range violations are errors; without, values are placeholders (keygen). `salt`
/// enters the Poseidon commitments of hashed inputs or outputs (ignored otherwise).
pub fn lay_out(
    graph: &QGraph,
    params: &LayoutParams,
    inputs: Option<&[Vec<i128>]>,
    salt: Fr,
) -> Result<Layout, ZkError> {
    let mut b = LayoutBuilder::new(params.lanes, params.table.clone(), inputs.is_some());
    let scale = graph.scale;
    let mut wires: Vec<Vec<Wire>> = Vec::with_capacity(graph.nodes.len());
    // Hashed parameters: the wire homing each bias and weight, in the order `param_values` lists them.
    let mut param_wires: Vec<Wire> = Vec::new();
    for node in &graph.nodes {
        b.set_context(&node.name, &node.op_type);
        let out: Vec<Wire> = match &node.op {
            QOp::Input { index } => {
                let n = node.len();
                let values: Vec<i128> = match inputs {
                    Some(all) => {
                        let v = all.get(*index).ok_or_else(|| {
                            ZkError::input(format!(
                                "the model has input '{}' but the input file has no entry #{index}",
                                node.name
                            ))
                        })?;
                        if v.len() != n {
                            return Err(ZkError::input(format!(
                                "input '{}' needs {n} values (shape {:?}), the input file has {}",
                                node.name,
                                node.shape,
                                v.len()
                            )));
                        }
                        v.clone()
                    }
                    None => vec![0; n],
                };
                let tag = params.table.range_check_fn().tag();
                values
                    .into_iter()
                    .map(|v| b.lookup(tag, LaneInput::Fresh(v)).map(|(lin, _)| lin))
                    .collect::<Result<_, _>>()?
            }
            QOp::Affine { inputs: ins, rows, shift, activation } => {
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let terms: Vec<(Wire, i128)> = row
                        .terms
                        .iter()
                        .map(|&(input, index, w)| (wires[ins[input as usize]][index as usize], w as i128))
                        .collect();
                    let acc = if params.hashed_params {
                        let (acc, homes) = b.private_dot(&terms, row.bias as i128);
                        param_wires.extend(homes);
                        acc
                    } else {
                        b.dot(&terms, row.bias as i128)
                    };
                    out.push(finish_value(&mut b, acc, *shift, *activation)?);
                }
                out
            }
            QOp::Product { a, b: rhs, a_index, b_index, activation } => {
                let mut out = Vec::with_capacity(a_index.len());
                for (&i, &j) in a_index.iter().zip(b_index) {
                    let p = b.product(wires[*a][i as usize], wires[*rhs][j as usize]);
                    out.push(finish_value(&mut b, p, scale, *activation)?);
                }
                out
            }
            QOp::Activation { input, function } => {
                let f = TableFn::from_activation(*function);
                wires[*input].iter().map(|&x| b.activation(f, x)).collect::<Result<_, _>>()?
            }
            QOp::Max { input, windows } => windows
                .iter()
                .map(|w| {
                    let ws: Vec<Wire> = w.iter().map(|&i| wires[*input][i as usize]).collect();
                    b.max(&ws)
                })
                .collect::<Result<_, _>>()?,
            QOp::Alias { input } => wires[*input].clone(),
        };
        b.take_error()?;
        if out.len() != node.len() {
            return Err(ZkError::internal(format!(
                "layer '{}' lays out {} values for shape {:?}",
                node.name,
                out.len(),
                node.shape
            )));
        }
        wires.push(out);
    }
    // Public instances: the inputs side, then the outputs side; each either the values or one
    // Poseidon commitment to all of them followed by that side's salt, Poseidon(salt, side): opening
    // one side's commitment reveals nothing that helps guess the other's.
    let salt = (params.hashed_inputs || params.hashed_outputs).then(|| b.home_field(salt));
    let sides = [
        (&graph.inputs, params.public_inputs, params.hashed_inputs, "inputs"),
        (&graph.outputs, params.public_outputs, params.hashed_outputs, "outputs"),
    ];
    for (tensors, public, hashed, what) in sides {
        let is_output = what == "outputs";
        if public {
            for &t in tensors {
                expose_values(&mut b, &wires[t], params.packing, is_output)?;
            }
        } else if hashed {
            b.set_context(what, "Poseidon commitment");
            let mut values: Vec<FieldWire> = tensors.iter().flat_map(|&t| wires[t].iter().map(|&w| w.into())).collect();
            let salt = salt.expect("homed when a side is hashed");
            // The side tag is a fixed bias, not a witness the prover could choose.
            let tag = b.field_row(ArithRow { o: true, bias: side_tag(is_output), ..ArithRow::default() }, &[]);
            values.push(b.poseidon(&[salt, tag]));
            let h = b.poseidon(&values);
            b.expose_cell(h.cell, h.value);
        }
    }
    if params.hashed_params {
        b.set_context("parameters", "Poseidon commitment");
        let values: Vec<FieldWire> = param_wires.iter().map(|&w| w.into()).collect();
        let h = b.poseidon(&values);
        b.expose_cell(h.cell, h.value);
    }
    let mut layout = b.finish();
    layout.outputs = graph.outputs.iter().map(|&o| wires[o].iter().map(|w| w.value).collect()).collect();
    Ok(layout)
}

/// The domain tag of a side's salt: `Poseidon(salt, 1)` for inputs, `Poseidon(salt, 2)` for outputs.
pub fn side_tag(is_output: bool) -> Fr {
    Fr::from(if is_output { 2u64 } else { 1 })
}

/// Every weight and bias the circuit computes with, as hashed parameters commit to them: for each
/// affine layer in graph order, for each output row, its bias then its term weights (fixed point).
pub fn param_values(graph: &QGraph) -> Vec<i128> {
    let mut values = Vec::new();
    for node in &graph.nodes {
        if let QOp::Affine { rows, .. } = &node.op {
            for row in rows {
                values.push(row.bias as i128);
                values.extend(row.terms.iter().map(|t| t.2 as i128));
            }
        }
    }
    values
}

/// Exposes one tensor's values, packed or one per instance.
fn expose_values(
    b: &mut LayoutBuilder,
    block: &[Wire],
    packing: Option<Packing>,
    is_output: bool,
) -> Result<(), ZkError> {
    match packing {
        None => block.iter().for_each(|&w| b.expose(w)),
        Some(packing) => {
            // Inputs are range-checked where they enter; outputs are checked here so every
            // packed limb is in range (an out-of-range value would corrupt its neighbours).
            if is_output {
                b.set_context("outputs", "instance packing");
                for &w in block {
                    b.range_check(w)?;
                }
            }
            b.expose_packed(block, packing);
        }
    }
    Ok(())
}

/// Rescale (if `shift > 0`), then the activation or, without one, a range check of the quotient.
fn finish_value(
    b: &mut LayoutBuilder,
    acc: Wire,
    shift: u32,
    activation: Option<crate::model::graph::Activation>,
) -> Result<Wire, ZkError> {
    let value = if shift > 0 { b.rescale_previous(acc, shift)? } else { acc };
    match activation {
        Some(a) => b.activation(TableFn::from_activation(a), value),
        None => {
            if shift > 0 {
                b.range_check(value)?;
            }
            Ok(value)
        }
    }
}
