//! The public instances of a proof: which of the model's values they carry, in what order and how
//! each is encoded. Compile plans the layout, the circuit exposes values by it, settings.json stores
//! it, and the verifier, the keeper and the generated contracts read it: one description, checked
//! once when a build is loaded.
//!
//! Order: the inputs side, then the outputs side, then (hashed parameters) the weight commitment.
//! A public side has one block per tensor (values flattened row-major, packed or one per
//! instance); a hashed side has one block holding its Poseidon commitment; a private side none.

use std::ops::Range;

use halo2_proofs::halo2curves::bn256::Fr;
use serde::{Deserialize, Serialize};

use super::field::{fe, to_i128};
use super::packing::Packing;
use super::scale::Scale;
use super::visibility::{ParamVisibility, Visibilities, Visibility};

/// Which of the model's values a block belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Input,
    Output,
    /// The weights and biases (only ever as a commitment).
    Params,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Input => "input",
            Side::Output => "output",
            Side::Params => "params",
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a commitment block commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CommitmentScheme {
    /// [`super::commitment`]: Poseidon of the values (then the side's salt, for inputs and outputs).
    Poseidon,
}

/// A named tensor of the model: what a block of values carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
}

impl Tensor {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One contiguous block of public instances: one model tensor, or one commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceBlock {
    #[serde(rename = "kind")]
    pub side: Side,
    pub name: String,
    pub shape: Vec<usize>,
    /// First instance (field element) of the block.
    pub offset: usize,
    /// Instances (field elements) in the block.
    pub len: usize,
    /// Values (tensor elements, row-major) in the block, or committed to.
    pub values: usize,
    /// How values are packed into instances (None: one value per instance, or a commitment).
    pub packing: Option<Packing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<CommitmentScheme>,
}

impl InstanceBlock {
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len
    }

    /// The block's values from its words; `None` if a word is not a valid encoding.
    fn decode(&self, words: &[Fr]) -> Option<Vec<i128>> {
        match self.packing {
            None => words.iter().map(to_i128).collect(),
            Some(p) => {
                let mut values = Vec::with_capacity(self.values);
                for (i, w) in words.iter().enumerate() {
                    let count = (self.values - i * p.per_word).min(p.per_word);
                    values.extend(p.unpack(w, count)?);
                }
                Some(values)
            }
        }
    }

    fn encode(&self, values: &[i128]) -> Vec<Fr> {
        match self.packing {
            None => values.iter().map(|&v| fe(v)).collect(),
            Some(p) => p.pack(values),
        }
    }
}

/// Why instances or values do not fit a layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutError(pub String);

impl std::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The whole public interface of a circuit: the scale its values use, who sees what, the packing,
/// and the blocks in instance order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceLayout {
    pub scale: Scale,
    pub visibility: Visibilities,
    /// Packing of public values (None: one value per instance).
    pub packing: Option<Packing>,
    pub num_instances: usize,
    #[serde(rename = "instances")]
    pub blocks: Vec<InstanceBlock>,
}

impl InstanceLayout {
    /// The layout of a model with these tensors (and `params` weights and biases) under
    /// `visibility`.
    pub fn plan(
        scale: Scale,
        visibility: Visibilities,
        packing: Option<Packing>,
        inputs: &[Tensor],
        outputs: &[Tensor],
        params: usize,
    ) -> InstanceLayout {
        let mut blocks = Vec::new();
        let mut offset = 0;
        let mut push = |side: Side, name: String, shape: Vec<usize>, commitment: bool| {
            let values: usize = shape.iter().product();
            let len = if commitment { 1 } else { packing.map_or(values, |p| p.words(values)) };
            let (packing, commitment) =
                if commitment { (None, Some(CommitmentScheme::Poseidon)) } else { (packing, None) };
            blocks.push(InstanceBlock { side, name, shape, offset, len, values, packing, commitment });
            offset += len;
        };
        for (side, tensors, vis) in
            [(Side::Input, inputs, visibility.input), (Side::Output, outputs, visibility.output)]
        {
            match vis {
                Visibility::Public => {
                    tensors.iter().for_each(|t| push(side, t.name.clone(), t.shape.clone(), false));
                }
                Visibility::Hashed => {
                    let names: Vec<&str> = tensors.iter().map(|t| t.name.as_str()).collect();
                    push(side, names.join(","), vec![tensors.iter().map(Tensor::len).sum()], true);
                }
                Visibility::Private => {}
            }
        }
        if visibility.params == ParamVisibility::Hashed {
            push(Side::Params, "weights and biases".into(), vec![params], true);
        }
        InstanceLayout { scale, visibility, packing, num_instances: offset, blocks }
    }

    /// The value blocks of one side, in tensor order.
    pub fn value_blocks(&self, side: Side) -> impl Iterator<Item = &InstanceBlock> {
        self.blocks.iter().filter(move |b| b.side == side && b.commitment.is_none())
    }

    /// The commitment block of a side, if that side is hashed.
    pub fn commitment(&self, side: Side) -> Option<&InstanceBlock> {
        self.blocks.iter().find(|b| b.side == side && b.commitment.is_some())
    }

    /// The values of one side, exposed: how many.
    pub fn public_values(&self, side: Side) -> usize {
        self.value_blocks(side).map(|b| b.values).sum()
    }

    /// The instance positions of one side's values (empty when the side is not public).
    pub fn side_range(&self, side: Side) -> Range<usize> {
        let mut blocks = self.value_blocks(side);
        match blocks.next() {
            None => 0..0,
            Some(first) => first.offset..blocks.last().unwrap_or(first).range().end,
        }
    }

    /// The words a public side's values become, in instance order.
    pub fn encode(&self, side: Side, tensors: &[Vec<i128>]) -> Result<Vec<Fr>, LayoutError> {
        let blocks: Vec<&InstanceBlock> = self.value_blocks(side).collect();
        if blocks.is_empty() {
            return Err(LayoutError(format!("the {side}s are not public")));
        }
        if tensors.len() != blocks.len() {
            return Err(LayoutError(format!("{} {side} tensors expected, got {}", blocks.len(), tensors.len())));
        }
        let mut words = Vec::new();
        for (block, values) in blocks.iter().zip(tensors) {
            if let Some(p) = block.packing {
                let half = p.offset();
                if let Some(v) = values.iter().find(|&&v| !(-half..half).contains(&v)) {
                    return Err(LayoutError(format!(
                        "{side} '{}' has the value {v}, outside the {}-bit range the circuit packs",
                        block.name, p.bits
                    )));
                }
            }
            if values.len() != block.values {
                return Err(LayoutError(format!(
                    "{side} '{}' has {} values, not {}",
                    block.name,
                    block.values,
                    values.len()
                )));
            }
            words.extend(block.encode(values));
        }
        Ok(words)
    }

    /// One side's public values, decoded from a proof's instances (one vector per tensor; empty
    /// when the side is not public).
    pub fn decode(&self, side: Side, instances: &[Fr]) -> Result<Vec<Vec<i128>>, LayoutError> {
        self.check_count(instances.len())?;
        self.value_blocks(side)
            .map(|block| {
                block
                    .decode(&instances[block.range()])
                    .ok_or_else(|| LayoutError(format!("{side} '{}' has an instance that does not decode", block.name)))
            })
            .collect()
    }

    /// A side's commitment instance, if the side is hashed.
    pub fn commitment_in(&self, side: Side, instances: &[Fr]) -> Option<Fr> {
        self.commitment(side).and_then(|b| instances.get(b.offset)).copied()
    }

    pub fn check_count(&self, count: usize) -> Result<(), LayoutError> {
        if count != self.num_instances {
            return Err(LayoutError(format!("expected {} instances, got {count}", self.num_instances)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, shape: &[usize]) -> Tensor {
        Tensor { name: name.into(), shape: shape.to_vec() }
    }

    fn layout(visibility: Visibilities) -> InstanceLayout {
        InstanceLayout::plan(
            Scale::new(7).unwrap(),
            visibility,
            Some(Packing::for_range_bits(12)),
            &[tensor("x", &[1, 30]), tensor("y", &[2])],
            &[tensor("out", &[1, 3])],
            50,
        )
    }

    #[test]
    fn plans_blocks_in_order_and_round_trips_values() {
        let l = layout(Visibilities::default());
        let offsets: Vec<(Side, usize, usize)> = l.blocks.iter().map(|b| (b.side, b.offset, b.len)).collect();
        assert_eq!(offsets, vec![(Side::Input, 0, 2), (Side::Input, 2, 1), (Side::Output, 3, 1)]);
        assert_eq!(l.num_instances, 4);
        assert_eq!(l.side_range(Side::Input), 0..3);
        let inputs = vec![(0..30).map(|i| i - 15).collect::<Vec<i128>>(), vec![-2048, 2047]];
        let outputs = vec![vec![5, -6, 7]];
        let mut words = l.encode(Side::Input, &inputs).unwrap();
        words.extend(l.encode(Side::Output, &outputs).unwrap());
        assert_eq!(l.decode(Side::Input, &words).unwrap(), inputs);
        assert_eq!(l.decode(Side::Output, &words).unwrap(), outputs);
        assert!(l.decode(Side::Output, &words[..3]).is_err(), "a short instance list is an error");
        assert!(l.encode(Side::Input, &inputs[..1]).is_err());
        let mut huge = inputs.clone();
        huge[1][0] = i128::MAX;
        let e = l.encode(Side::Input, &huge).unwrap_err();
        assert!(e.0.contains("outside the 12-bit range"), "{e}");
    }

    #[test]
    fn hashed_sides_are_one_commitment_each() {
        let v =
            Visibilities { input: Visibility::Hashed, output: Visibility::Private, params: ParamVisibility::Hashed };
        let l = layout(v);
        assert_eq!(l.num_instances, 2);
        assert_eq!(l.commitment(Side::Input).unwrap().values, 32);
        assert_eq!(l.commitment(Side::Params).unwrap().offset, 1);
        assert!(l.commitment(Side::Output).is_none());
        assert!(l.encode(Side::Input, &[]).is_err(), "hashed inputs have no public encoding");
        let words = [fe(11), fe(12)];
        assert_eq!(l.commitment_in(Side::Params, &words), Some(fe(12)));
        assert_eq!(l.decode(Side::Input, &words).unwrap(), Vec::<Vec<i128>>::new());
    }

    #[test]
    fn serialises_as_the_settings_file_spells_it() {
        let l = layout(Visibilities::default());
        let json = serde_json::to_value(&l).unwrap();
        assert_eq!(json["scale"], 7);
        assert_eq!(json["instances"][0]["kind"], "input");
        assert_eq!(json["visibility"]["params"], "fixed");
        assert_eq!(serde_json::from_value::<InstanceLayout>(json).unwrap(), l);
    }
}
