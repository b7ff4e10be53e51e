//! The Yul helper functions every generated verifier declares ahead of its body.

pub(super) const YUL_FUNCTIONS: &str = r#"            function fail(sel) {
                mstore(0x00, shl(224, sel))
                revert(0x00, 0x04)
            }
            // Identity is (0, 0); anything else must satisfy y^2 = x^3 + 3 with x, y < q.
            function check_point(cptr) {
                let x := calldataload(cptr)
                let y := calldataload(add(cptr, 0x20))
                if or(x, y) {
                    if iszero(and(lt(x, Q), lt(y, Q))) { fail(ERR_POINT) }
                    if iszero(eq(mulmod(y, y, Q), addmod(mulmod(mulmod(x, x, Q), x, Q), 3, Q))) { fail(ERR_POINT) }
                }
            }
            // Challenge = keccak256(buffer) mod r; the buffer becomes the digest.
            function squeeze(len) -> c {
                let h := keccak256(TRANSCRIPT, len)
                mstore(TRANSCRIPT, h)
                c := mod(h, R)
            }
            // Scalar exponentiation by a small constant (square and multiply).
            function exp_r(b, e) -> z {
                z := 1
                for {} e { e := shr(1, e) } {
                    if and(e, 1) { z := mulmod(z, b, R) }
                    b := mulmod(b, b, R)
                }
            }
            // acc (0x80) += s * (px, py) via the ecMul and ecAdd precompiles.
            function msm_term(px, py, s) {
                mstore(0x00, px)
                mstore(0x20, py)
                mstore(0x40, s)
                // Success and a full result are required: a missing precompile returns nothing.
                // (The call gets its own statement: Yul evaluates arguments right to left.)
                let ok := staticcall(gas(), 0x07, 0x00, 0x60, 0xc0, 0x40)
                if iszero(and(ok, eq(returndatasize(), 0x40))) { fail(ERR_PRECOMPILE) }
                ok := staticcall(gas(), 0x06, 0x80, 0x80, 0x80, 0x40)
                if iszero(and(ok, eq(returndatasize(), 0x40))) { fail(ERR_PRECOMPILE) }
            }
            // acc (0x80) += (px, py): the one term whose scalar is 1 needs no ecMul (6,000 gas).
            function msm_add(px, py) {
                mstore(0xc0, px)
                mstore(0xe0, py)
                let ok := staticcall(gas(), 0x06, 0x80, 0x80, 0x80, 0x40)
                if iszero(and(ok, eq(returndatasize(), 0x40))) { fail(ERR_PRECOMPILE) }
            }
            // Inverts INV[0..len) in place (Montgomery's trick, one modexp); any zero rejects.
            function batch_invert(len) {
                let inv := INV
                let pre := PRE
                let end := shl(5, len)
                let acc := 1
                for { let i := 0 } lt(i, end) { i := add(i, 0x20) } {
                    acc := mulmod(acc, mload(add(inv, i)), R)
                    mstore(add(pre, i), acc)
                }
                if iszero(acc) { fail(ERR_REJECTED) }
                mstore(0x00, 0x20)
                mstore(0x20, 0x20)
                mstore(0x40, 0x20)
                mstore(0x60, acc)
                mstore(0x80, sub(R, 2))
                mstore(0xa0, R)
                let ok := staticcall(gas(), 0x05, 0x00, 0xc0, 0x00, 0x20)
                if iszero(and(ok, eq(returndatasize(), 0x20))) { fail(ERR_PRECOMPILE) }
                acc := mload(0x00)
                for { let i := sub(end, 0x20) } gt(i, 0) { i := sub(i, 0x20) } {
                    let v := mload(add(inv, i))
                    mstore(add(inv, i), mulmod(acc, mload(add(pre, sub(i, 0x20))), R))
                    acc := mulmod(acc, v, R)
                }
                mstore(inv, acc)
            }"#;
