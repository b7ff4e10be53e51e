// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @title ERC-7007: Verifiable AI-Generated Content Token
/// @notice The required interface of ERC-7007 (status Final), as in the specification's text
/// (ethereum/ERCs, `ERCS/erc-7007.md`): an ERC-721 token whose `tokenId` is the hash of its prompt,
/// with AI-generated content ("AIGC data") added to it and checked by a zkML or opML proof.
/// @dev The ERC-165 identifier is `0x702c55a6`, the XOR of the two function selectors declared here
/// (`addAigcData(uint256,bytes,bytes,bytes)` 0xaea30507 ^ `verify(bytes,bytes,bytes)` 0xde8f50a1);
/// events and inherited functions do not count. A compliant contract also reports ERC-721's and
/// ERC-165's identifiers. The final text indexes all three of `tokenId`, `prompt` and `aigcData` in
/// {AigcData} (the copy of this interface in the ERC's reference-implementation assets does not index
/// `aigcData`); this follows the text. Indexed `bytes` are logged as their keccak256 only.
interface IERC7007 is IERC165, IERC721 {
    /// @notice AIGC data was added to token `tokenId`.
    /// @param tokenId The token.
    /// @param prompt The token's prompt (the topic is its keccak256).
    /// @param aigcData The AI-generated content (the topic is its keccak256).
    /// @param proof The proof `aigcData` was checked with.
    event AigcData(uint256 indexed tokenId, bytes indexed prompt, bytes indexed aigcData, bytes proof);

    /// @notice Adds AIGC data to token `tokenId` given `prompt`, `aigcData` and `proof`.
    /// @dev In zkML, an implementation should make sure {verify} returns true.
    /// @param tokenId The token.
    /// @param prompt The token's prompt.
    /// @param aigcData The AI-generated content.
    /// @param proof The proof that `aigcData` is the model's output for `prompt`.
    function addAigcData(uint256 tokenId, bytes calldata prompt, bytes calldata aigcData, bytes calldata proof) external;

    /// @notice Verifies `prompt`, `aigcData` and `proof`.
    /// @param prompt The prompt.
    /// @param aigcData The AI-generated content.
    /// @param proof The proof.
    /// @return success True if `proof` shows that `aigcData` is the model's output for `prompt`.
    function verify(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        external
        view
        returns (bool success);
}
