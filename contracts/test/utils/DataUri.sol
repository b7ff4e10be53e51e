// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";

/// @title Reading `data:` URIs and searching text, for tests of on-chain metadata
library DataUri {
    /// @notice Strips `prefix` from `uri` (reverting if it is not there) and base64-decodes the rest.
    function decode(string memory uri, string memory prefix) internal pure returns (string memory) {
        bytes memory u = bytes(uri);
        bytes memory p = bytes(prefix);
        require(u.length > p.length, "data URI too short");
        for (uint256 i = 0; i < p.length; ++i) {
            require(u[i] == p[i], "wrong data URI prefix");
        }
        bytes memory rest = new bytes(u.length - p.length);
        for (uint256 i = 0; i < rest.length; ++i) {
            rest[i] = u[p.length + i];
        }
        return string(Base64.decode(string(rest)));
    }

    /// @notice How many times `needle` occurs in `hay`.
    function count(string memory hay, string memory needle) internal pure returns (uint256 n) {
        bytes memory h = bytes(hay);
        bytes memory x = bytes(needle);
        for (uint256 i = 0; i + x.length <= h.length; ++i) {
            bool hit = true;
            for (uint256 j = 0; j < x.length && hit; ++j) {
                hit = h[i + j] == x[j];
            }
            if (hit) ++n;
        }
    }

    /// @notice Whether `a` and `b` are the same text.
    function same(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }
}
