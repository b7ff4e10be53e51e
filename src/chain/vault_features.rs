//! The lending vault's model inputs, recomputed off chain from the vault's raw state with the
//! contract's own integer formulas (AIRiskVault.currentFeatures, examples/defi-vault/CONTRACTS.md).
//!
//! The keeper proves on these and also asks the vault for its own `currentFeatures()` at the same
//! block: the two must agree exactly, so a formula that drifts on either side is caught before a
//! proof is wasted, and in the end-to-end tests.

use alloy::primitives::{U256, U512};

use crate::encoding::Scale;
use crate::error::ZkError;

const WAD: u64 = 1_000_000_000_000_000_000;

/// What the features depend on, read at one block.
#[derive(Clone, Debug)]
pub struct VaultSnapshot {
    /// Every price observation (the vault looks at the last `window`).
    pub prices: Vec<U256>,
    pub total_debt: U256,
    pub cash: U256,
    pub total_collateral: U256,
    pub scale: Scale,
    pub window: U256,
    pub volatility_multiplier: U256,
    pub volatility_cap: U256,
    pub max_coverage: U256,
}

/// `floor(a * b / c)` without overflow, as OpenZeppelin's `Math.mulDiv`.
fn mul_div(a: U256, b: U256, c: U256) -> Result<U256, ZkError> {
    if c.is_zero() {
        return Err(ZkError::input("division by zero in a vault feature (a zero price?)"));
    }
    let r = U512::from(a) * U512::from(b) / U512::from(c);
    if r > U512::from(U256::MAX) {
        return Err(ZkError::input("a vault feature overflows 256 bits"));
    }
    Ok(U256::from(r))
}

fn small(x: U256, what: &str) -> Result<i64, ZkError> {
    i64::try_from(x).map_err(|_| ZkError::input(format!("vault feature {what} = {x} does not fit 63 bits")))
}

/// `[utilisation, volatility, drawdown, coverage]` at `2^scale` fixed point, floor-rounded.
pub fn features(s: &VaultSnapshot) -> Result<[i64; 4], ZkError> {
    let one = U256::from(1u64) << s.scale.bits();
    let wad = U256::from(WAD);
    let n = s.prices.len();
    let window = usize::try_from(s.window).unwrap_or(usize::MAX);
    let start = n.saturating_sub(window);
    let (mut last, mut peak, mut moves) = (U256::ZERO, U256::ZERO, U256::ZERO);
    for (i, &p) in s.prices.iter().enumerate().skip(start) {
        if p.is_zero() {
            return Err(ZkError::input("the price source holds a zero price (the vault reverts InvalidPrice)"));
        }
        peak = peak.max(p);
        if i > start {
            let diff = if p > last { p - last } else { last - p };
            moves += mul_div(diff, wad, last)?;
        }
        last = p;
    }
    let count = n - start;
    let mut volatility = U256::ZERO;
    if count >= 2 {
        volatility = mul_div(moves, s.volatility_multiplier * one, U256::from(count - 1) * wad)?;
        volatility = volatility.min(s.volatility_cap * one);
    }
    let debt = s.total_debt;
    let assets = s.cash + debt;
    let utilisation = if assets.is_zero() { U256::ZERO } else { mul_div(debt, one, assets)? };
    let drawdown = if count == 0 { U256::ZERO } else { mul_div(peak - last, one, peak)? };
    let value = mul_div(s.total_collateral, last, wad)?;
    let coverage = if debt.is_zero() || value / s.max_coverage >= debt {
        one
    } else {
        mul_div(value, one, s.max_coverage * debt)?
    };
    Ok([
        small(utilisation, "utilisation")?,
        small(volatility, "volatility")?,
        small(drawdown, "drawdown")?,
        small(coverage, "coverage")?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(WAD)
    }

    /// The worked example of examples/defi-vault (and the forge test `test_featuresKnownState`).
    #[test]
    fn worked_example_matches_the_contract() {
        let s = VaultSnapshot {
            prices: [2000, 2100, 1995, 2000, 1900, 1950, 2050, 2000].map(e18).to_vec(),
            total_debt: e18(4000),
            cash: e18(6000),
            total_collateral: e18(5),
            scale: Scale::new(7).unwrap(),
            window: U256::from(8),
            volatility_multiplier: U256::from(10),
            volatility_cap: U256::from(2),
            max_coverage: U256::from(4),
        };
        // The state DeployVault.s.sol sets up; the vault fixture proof is for these features.
        assert_eq!(features(&s).unwrap(), [51, 46, 6, 80]);
        // One wei more debt crosses the coverage boundary (80 = 0.625 * 128 exactly).
        let more = VaultSnapshot { total_debt: e18(4000) + U256::from(1), ..s.clone() };
        assert_eq!(features(&more).unwrap()[3], 79);
        let empty = VaultSnapshot { prices: vec![], total_debt: U256::ZERO, cash: U256::ZERO, ..s };
        assert_eq!(features(&empty).unwrap(), [0, 0, 0, 128]);
    }
}
