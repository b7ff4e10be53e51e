// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IZkinferCircuitInfo} from "../../IZkinferVerifier.sol";

/// @notice What a mock verifier states about its circuit (`IZkinferCircuitInfo`), configurable: by
/// default one public packed input block at instance 0 and one public packed output block right after
/// it, as a generated verifier of a one-input, one-output model states them. Tests change any fact
/// ({setScale}, {setPackBits}, {setInstanceBlocks}, {setNumInstances}) or make every getter revert
/// ({setStatesCircuit}) to exercise a consumer's checks. Everything lives in storage, so the runtime
/// code (and the codehash a consumer pins) never changes.
abstract contract MockCircuitInfo is IZkinferCircuitInfo {
    /// @notice A circuit getter was called after `setStatesCircuit(false)`.
    error NoCircuitInfo();

    /// @notice Whether the `IZkinferCircuitInfo` getters answer (true) or revert (false).
    bool public statesCircuit;

    /// @dev The stated facts.
    uint256 private _scale;
    uint256 private _packBits;
    uint256 private _numInstances;
    InstanceBlock[] private _blocks;

    /// @param scale_ The stated `SCALE()`.
    /// @param packBits_ The stated `PACK_BITS()`, also the packing width of both blocks.
    /// @param inputs The number of input values (packed at instance 0).
    /// @param outputs The number of output values (packed after the inputs).
    constructor(uint256 scale_, uint256 packBits_, uint256 inputs, uint256 outputs) {
        statesCircuit = true;
        _scale = scale_;
        _packBits = packBits_;
        InstanceBlock[] memory blocks = new InstanceBlock[](2);
        blocks[0] = _block(Side.Input, 0, inputs, packBits_);
        blocks[1] = _block(Side.Output, blocks[0].words, outputs, packBits_);
        _setInstanceBlocks(blocks);
    }

    modifier stated() {
        if (!statesCircuit) revert NoCircuitInfo();
        _;
    }

    // ---- configuration ----------------------------------------------------------------------

    /// @notice Makes the circuit getters answer (true) or revert with {NoCircuitInfo} (false).
    /// @param states Whether the getters answer.
    function setStatesCircuit(bool states) external {
        statesCircuit = states;
    }

    /// @notice Sets the stated `SCALE()` (only the getter: the layout is unchanged).
    /// @param scale_ The new value.
    function setScale(uint256 scale_) external {
        _scale = scale_;
    }

    /// @notice Sets the stated `PACK_BITS()` (only the getter: the layout is unchanged).
    /// @param packBits_ The new value.
    function setPackBits(uint256 packBits_) external {
        _packBits = packBits_;
    }

    /// @notice Replaces the stated layout; `NUM_INSTANCES()` becomes the sum of its words.
    /// @param blocks The new layout (e.g. `instanceBlocks()` with one field changed).
    function setInstanceBlocks(InstanceBlock[] calldata blocks) external {
        _setInstanceBlocks(blocks);
    }

    /// @notice Sets the stated `NUM_INSTANCES()` (after {setInstanceBlocks}, to disagree with it).
    /// @param numInstances The new value.
    function setNumInstances(uint256 numInstances) external {
        _numInstances = numInstances;
    }

    // ---- IZkinferCircuitInfo ------------------------------------------------------------------

    /// @inheritdoc IZkinferCircuitInfo
    function NUM_INSTANCES() external view stated returns (uint256) {
        return _numInstances;
    }

    /// @inheritdoc IZkinferCircuitInfo
    /// @dev Zero: a mock verifies no circuit.
    function VK_DIGEST() external view stated returns (uint256) {
        return 0;
    }

    /// @inheritdoc IZkinferCircuitInfo
    function DEV_SRS() external view stated returns (bool) {
        return false;
    }

    /// @inheritdoc IZkinferCircuitInfo
    function SCALE() external view stated returns (uint256) {
        return _scale;
    }

    /// @inheritdoc IZkinferCircuitInfo
    function PACK_BITS() external view stated returns (uint256) {
        return _packBits;
    }

    /// @inheritdoc IZkinferCircuitInfo
    function instanceBlocks() external view stated returns (InstanceBlock[] memory) {
        return _blocks;
    }

    // ---- internals ----------------------------------------------------------------------------

    function _setInstanceBlocks(InstanceBlock[] memory blocks) internal {
        delete _blocks;
        uint256 words;
        for (uint256 i = 0; i < blocks.length; ++i) {
            _blocks.push(blocks[i]);
            words += blocks[i].words;
        }
        _numInstances = words;
    }

    /// @dev A public block of `values` values packed at `packBits` from instance `offset` (unpacked,
    /// one value a word, if `packBits` is not a usable packing width).
    function _block(Side side, uint256 offset, uint256 values, uint256 packBits_)
        internal
        pure
        returns (InstanceBlock memory)
    {
        uint256 perWord = packBits_ == 0 ? 0 : 252 / packBits_;
        uint256 words = perWord == 0 ? values : (values + perWord - 1) / perWord;
        return InstanceBlock({
            side: side,
            commitment: false,
            offset: SafeCast.toUint32(offset),
            words: SafeCast.toUint32(words),
            values: SafeCast.toUint32(values),
            packBits: SafeCast.toUint8(packBits_)
        });
    }
}
