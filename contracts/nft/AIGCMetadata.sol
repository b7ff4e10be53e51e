// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @title ERC-721 metadata of a zkinfer AIGC token, rendered on chain
/// @notice Wallets and explorers show what was proven, not an off-chain picture that could differ:
/// the image is an SVG drawn from the stored pixels themselves, and the attributes name the prompt
/// and the verifying key (its digest) that checked the proof.
/// @dev Pure functions over what the collection stores; `tokenURI` returns
/// `data:application/json;base64,<JSON>` whose `image` is `data:image/svg+xml;base64,<SVG>`.
library AIGCMetadata {
    /// @dev The image's side in pixels (row-major, pixel (r, c) is value `8 * r + c`).
    uint256 internal constant SIDE = 8;

    /// @notice The token's metadata URI.
    /// @param tokenId The token (`uint256(keccak256(prompt))`).
    /// @param prompt The revealed prompt.
    /// @param pixels The proven pixel values (64 fixed-point values at `scale`), or empty if no AIGC
    /// data has been added yet (the image is then a placeholder).
    /// @param scale The fixed-point scale of the pixels (1.0 = 2^scale, shown white).
    /// @param vkDigest The `VK_DIGEST()` of the verifier that checked the content's proof.
    /// @return The `data:application/json;base64,...` URI.
    function tokenURI(uint256 tokenId, bytes memory prompt, int256[] memory pixels, uint256 scale, uint256 vkDigest)
        internal
        pure
        returns (string memory)
    {
        bool proven = pixels.length != 0;
        string memory image = proven ? svg(pixels, scale) : placeholderSvg();
        string memory attributes = string.concat(
            '[{"trait_type":"prompt","value":"',
            jsonString(prompt),
            '"},{"trait_type":"proven","value":"',
            proven ? "yes" : "no",
            '"}',
            proven
                ? string.concat(',{"trait_type":"verifier digest","value":"', Strings.toHexString(vkDigest, 32), '"}')
                : "",
            "]"
        );
        string memory json = string.concat(
            '{"name":"zkinfer AIGC ',
            Strings.toHexString(tokenId >> 224, 4),
            '","description":"',
            proven
                ? "An 8x8 image its prompt generates under the model the verifier digest identifies, proven by a zkinfer proof (ERC-7007)."
                : "Minted; its proven image has not been added yet.",
            '","image":"data:image/svg+xml;base64,',
            Base64.encode(bytes(image)),
            '","attributes":',
            attributes,
            "}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(bytes(json)));
    }

    /// @notice The pixels as an SVG: one grey square per pixel, black at 0 and white at 2^scale
    /// (values outside are clamped; a valid proof keeps them inside, the model ends in a sigmoid).
    /// @param pixels 64 values, row-major.
    /// @param scale Their fixed-point scale.
    /// @return The SVG document.
    function svg(int256[] memory pixels, uint256 scale) internal pure returns (string memory) {
        bytes memory rects;
        int256 one = int256(1 << scale);
        for (uint256 i = 0; i < pixels.length; ++i) {
            int256 v = pixels[i] < 0 ? int256(0) : pixels[i] > one ? one : pixels[i];
            // casting to 'uint256' is safe because v is clamped into [0, 2^scale]
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256 grey = (uint256(v) * 255 + (1 << scale) / 2) >> scale;
            string memory hex2 = _hexByte(grey);
            rects = abi.encodePacked(
                rects,
                '<rect x="',
                Strings.toString(i % SIDE),
                '" y="',
                Strings.toString(i / SIDE),
                '" width="1" height="1" fill="#',
                hex2,
                hex2,
                hex2,
                '"/>'
            );
        }
        return string.concat(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8" width="256" height="256" shape-rendering="crispEdges">',
            string(rects),
            "</svg>"
        );
    }

    /// @notice The image of a token whose content is not proven yet: a grey square with a question mark.
    /// @return The SVG document.
    function placeholderSvg() internal pure returns (string memory) {
        return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8" width="256" height="256">'
            '<rect width="8" height="8" fill="#808080"/>'
            '<text x="4" y="5.5" font-size="4" text-anchor="middle" fill="#ffffff">?</text></svg>';
    }

    /// @notice `prompt` as the inside of a JSON string: printable ASCII with `"` and `\` escaped; any
    /// other byte (control characters, non-ASCII) makes it the prompt's hex, `0x...`, so the
    /// document is always valid JSON whatever bytes were minted.
    /// @param prompt The prompt's bytes.
    /// @return The escaped text.
    function jsonString(bytes memory prompt) internal pure returns (string memory) {
        uint256 extra;
        for (uint256 i = 0; i < prompt.length; ++i) {
            bytes1 c = prompt[i];
            if (c < 0x20 || c > 0x7e) return Strings.toHexString(prompt);
            if (c == '"' || c == "\\") ++extra;
        }
        bytes memory out = new bytes(prompt.length + extra);
        uint256 j;
        for (uint256 i = 0; i < prompt.length; ++i) {
            bytes1 c = prompt[i];
            if (c == '"' || c == "\\") out[j++] = "\\";
            out[j++] = c;
        }
        return string(out);
    }

    /// @dev Two lowercase hex digits of `b` (< 256).
    function _hexByte(uint256 b) private pure returns (string memory) {
        bytes16 digits = "0123456789abcdef";
        bytes memory s = new bytes(2);
        s[0] = digits[b >> 4];
        s[1] = digits[b & 0xf];
        return string(s);
    }
}
