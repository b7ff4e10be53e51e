//! Decoding of ONNX protobuf fields: node attributes, constant tensors and declared input shapes.

use tract_onnx::pb;

use super::{node_err, Const};
use crate::error::ZkError;

pub(super) fn attr<'a>(node: &'a pb::NodeProto, name: &str) -> Option<&'a pb::AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

pub(super) fn attr_int(node: &pb::NodeProto, name: &str) -> Option<i64> {
    attr(node, name).map(|a| a.i)
}

pub(super) fn attr_float(node: &pb::NodeProto, name: &str) -> Option<f32> {
    attr(node, name).map(|a| a.f)
}

pub(super) fn attr_floats(node: &pb::NodeProto, name: &str) -> Option<Vec<f64>> {
    attr(node, name).map(|a| a.floats.iter().map(|&f| f64::from(f)).collect())
}

pub(super) fn attr_ints(node: &pb::NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(node, name).map(|a| a.ints.clone())
}

pub(super) fn attr_string(node: &pb::NodeProto, name: &str) -> Option<String> {
    attr(node, name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

pub(super) fn constant_attr(node: &pb::NodeProto) -> Result<Const, ZkError> {
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

pub(super) fn tensor_to_const(t: &pb::TensorProto) -> Result<Const, String> {
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

pub(super) fn value_info_shape(v: &pb::ValueInfoProto) -> Option<Vec<usize>> {
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

pub(super) fn attr_strings(node: &pb::NodeProto, name: &str) -> Option<Vec<String>> {
    attr(node, name).map(|a| a.strings.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect())
}
