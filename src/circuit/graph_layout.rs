//! Lays out a whole quantised graph: inputs, every layer through its chip, then the public
//! instances block by block as the build's [`InstanceLayout`] lists them.

use halo2_proofs::halo2curves::bn256::Fr;

use super::layout::{ArithRow, FieldWire, Layout, LayoutBuilder, LayoutParams, Wire};
use super::tables::TableFn;
use crate::encoding::commitment::side_tag;
use crate::encoding::{InstanceLayout, Packing, Side, Visibility};
use crate::error::ZkError;
use crate::quantise::qgraph::{QGraph, QOp};

/// Lays out `graph`. With `inputs` (fixed-point values, one vector per model input) the witness is
/// computed and range violations are errors; without, values are placeholders (keygen). The
/// public instances follow `public`; `salt` enters the Poseidon commitments of hashed inputs or
/// outputs (ignored otherwise).
pub fn lay_out(
    graph: &QGraph,
    params: &LayoutParams,
    public: &InstanceLayout,
    inputs: Option<&[Vec<i128>]>,
    salt: Fr,
) -> Result<Layout, ZkError> {
    if public.scale != graph.scale {
        return Err(ZkError::input(format!(
            "the instance layout is at scale {} but the model at {}",
            public.scale, graph.scale
        )));
    }
    let hashed_params = public.visibility.hashed_params();
    let mut b = LayoutBuilder::new(params.lanes, params.table.clone(), graph.scale, inputs.is_some());
    let scale = graph.scale.bits();
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
                if only_smooth_activations_read(graph, wires.len()) {
                    b.unchecked_inputs(&values)
                } else {
                    let bits = params.input_bits(*index);
                    values.into_iter().map(|v| b.range_checked_input(v, bits)).collect::<Result<_, _>>()?
                }
            }
            QOp::Affine { inputs: ins, rows, shift, activation } => {
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let terms: Vec<(Wire, i128)> = row
                        .terms
                        .iter()
                        .map(|&(input, index, w)| (wires[ins[input as usize]][index as usize], w as i128))
                        .collect();
                    let acc = if hashed_params {
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
            QOp::Contract { a, b: rhs, pairs, activation } => {
                let mut out = Vec::with_capacity(pairs.len());
                for ps in pairs {
                    let factors: Vec<(Wire, Wire)> =
                        ps.iter().map(|&(p, q)| (wires[*a][p as usize], wires[*rhs][q as usize])).collect();
                    let acc = b.contract(&factors)?;
                    out.push(finish_value(&mut b, acc, scale, *activation)?);
                }
                out
            }
            QOp::Divide { a, b: den, a_index, b_index } => a_index
                .iter()
                .zip(b_index)
                .map(|(&i, &j)| b.divide(wires[*a][i as usize], wires[*den][j as usize]))
                .collect::<Result<_, _>>()?,
            QOp::Activation { input, function } => {
                wires[*input].iter().map(|&x| b.activation(*function, x)).collect::<Result<_, _>>()?
            }
            QOp::Max { input, windows } => windows
                .iter()
                .map(|w| {
                    let ws: Vec<Wire> = w.iter().map(|&i| wires[*input][i as usize]).collect();
                    b.max(&ws)
                })
                .collect::<Result<_, _>>()?,
            QOp::Compare { a, b: rhs, a_index, b_index, kind } => a_index
                .iter()
                .zip(b_index)
                .map(|(&i, &j)| b.compare(*kind, wires[*a][i as usize], wires[*rhs][j as usize]))
                .collect::<Result<_, _>>()?,
            QOp::ArgMax { input, windows } => windows
                .iter()
                .map(|w| {
                    let ws: Vec<Wire> = w.iter().map(|&i| wires[*input][i as usize]).collect();
                    b.argmax(&ws, 1i128 << scale)
                })
                .collect::<Result<_, _>>()?,
            QOp::Normalize { input, groups, eps } => {
                let mut out = wires[*input].clone();
                for g in groups {
                    let xs: Vec<Wire> = g.iter().map(|&i| wires[*input][i as usize]).collect();
                    for (&i, y) in g.iter().zip(b.normalize(&xs, *eps)?) {
                        out[i as usize] = y;
                    }
                }
                out
            }
            QOp::Alias { input } => wires[*input].clone(),
            QOp::TreeLeaves { input, forest } => {
                b.tree_leaves(&wires[*input], forest, hashed_params.then_some(&mut param_wires))?
            }
            QOp::Gather { inputs: ins, picks } => {
                picks.iter().map(|&(t, i)| wires[ins[t as usize]][i as usize]).collect()
            }
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
    let salt = public.visibility.any_salted().then(|| b.home_field(salt));
    for (side, tensors, visibility) in [
        (Side::Input, &graph.inputs, public.visibility.input),
        (Side::Output, &graph.outputs, public.visibility.output),
    ] {
        match visibility {
            Visibility::Public => {
                for &t in tensors {
                    expose_values(&mut b, &wires[t], public.packing, side == Side::Output)?;
                }
            }
            Visibility::Hashed => {
                b.set_context(side.name(), "Poseidon commitment");
                let mut values: Vec<FieldWire> =
                    tensors.iter().flat_map(|&t| wires[t].iter().map(|&w| w.into())).collect();
                let salt = salt.expect("homed when a side is hashed");
                // The side tag is a fixed bias, not a witness the prover could choose.
                let tag = b.field_row(ArithRow { o: true, bias: side_tag(side), ..ArithRow::default() }, &[]);
                values.push(b.poseidon(&[salt, tag]));
                let h = b.poseidon(&values);
                b.expose_cell(h.cell, h.value);
            }
            Visibility::Private => {}
        }
    }
    if hashed_params {
        b.set_context("parameters", "Poseidon commitment");
        let values: Vec<FieldWire> = param_wires.iter().map(|&w| w.into()).collect();
        let h = b.poseidon(&values);
        b.expose_cell(h.cell, h.value);
    }
    let mut layout = b.finish();
    if layout.instance_cells.len() != public.num_instances {
        return Err(ZkError::internal(format!(
            "the circuit exposes {} instances but its instance layout lists {}",
            layout.instance_cells.len(),
            public.num_instances
        )));
    }
    layout.outputs = graph.outputs.iter().map(|&o| wires[o].iter().map(|w| w.value).collect()).collect();
    layout.node_values = wires.iter().map(|ws| ws.iter().map(|w| w.value).collect()).collect();
    Ok(layout)
}

/// True when every reader of node `i` is a smooth activation of all of it: each decomposes its
/// input into segment index and offset, which proves its range, so a range check of `i` would
/// prove it twice. (A ReLU or Sign reader is better served by the range check: it reuses the
/// check's sign bit.)
fn only_smooth_activations_read(graph: &QGraph, i: usize) -> bool {
    let mut readers = graph.nodes.iter().filter(|n| n.op.operands().contains(&i)).peekable();
    readers.peek().is_some()
        && readers
            .all(|n| matches!(n.op, QOp::Activation { input, function } if input == i && TableFn::from_activation(function).is_some()))
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
        Some(a) => b.activation(a, value),
        None => {
            if shift > 0 {
                b.range_check(value)?;
            }
            Ok(value)
        }
    }
}
