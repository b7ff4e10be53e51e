//! The lending vault's model inputs, recomputed off chain from the vault's raw state with the
//! contract's own integer formulas (AIRiskVault.currentFeatures, examples/defi-vault/CONTRACTS.md):
//! utilisation and coverage averaged over the previous epoch from the vault's time integrals
//! (`accumulators()`), volatility and drawdown from the price history.
//!
//! The keeper proves on these and also asks the vault for its own `currentFeatures()` at the same
//! block: the two must agree exactly, so a formula that drifts on either side is caught before a
//! proof is wasted, and in the end-to-end tests.

use alloy::primitives::{U256, U512};

use crate::encoding::Scale;
use crate::error::ZkError;

const WAD: u64 = 1_000_000_000_000_000_000;

/// The vault's time integrals of utilisation and coverage (`IAIRiskVault.Accumulators`).
#[derive(Clone, Debug, Default)]
pub struct Accumulators {
    pub cum_utilisation: U256,
    pub cum_coverage: U256,
    pub observed_at: u64,
    pub checkpoint_epoch: u64,
    pub utilisation: U256,
    pub coverage: U256,
    pub start_utilisation: U256,
    pub start_coverage: U256,
    pub prev_start_utilisation: U256,
    pub prev_start_coverage: U256,
}

impl Accumulators {
    /// The integrals extended to `t` (not before `observed_at`) at the recorded values.
    fn extend(&self, t: u64) -> Result<(U256, U256), ZkError> {
        let dt = t
            .checked_sub(self.observed_at)
            .ok_or_else(|| ZkError::input("the vault's last observation is after the epoch it is read for"))?;
        let dt = U256::from(dt);
        Ok((self.cum_utilisation + self.utilisation * dt, self.cum_coverage + self.coverage * dt))
    }

    /// The average utilisation and coverage over epoch `epoch - 1`, floor-rounded, as
    /// `AIRiskVault._timeWeighted` computes them for epoch `epoch`.
    pub fn previous_epoch_average(&self, epoch: u64, epoch_length: u64) -> Result<(U256, U256), ZkError> {
        let start = epoch * epoch_length;
        let (s, p) = if self.checkpoint_epoch == epoch {
            ((self.start_utilisation, self.start_coverage), (self.prev_start_utilisation, self.prev_start_coverage))
        } else if self.checkpoint_epoch + 1 == epoch {
            (self.extend(start)?, (self.start_utilisation, self.start_coverage))
        } else {
            (self.extend(start)?, self.extend(start - epoch_length)?)
        };
        let len = U256::from(epoch_length);
        Ok(((s.0 - p.0) / len, (s.1 - p.1) / len))
    }
}

/// What the features depend on, read at one block.
#[derive(Clone, Debug)]
pub struct VaultSnapshot {
    pub accumulators: Accumulators,
    /// The vault's `currentEpoch()` at the block.
    pub epoch: u64,
    pub epoch_length: u64,
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

/// The model's input, `currentFeatures()`: `[utilisation, volatility, drawdown, coverage]` at
/// `2^scale` fixed point, floor-rounded, utilisation and coverage the previous epoch's averages.
pub fn features(s: &VaultSnapshot) -> Result<[i64; 4], ZkError> {
    let [_, volatility, drawdown, _] = instant_features(s)?;
    let (utilisation, coverage) = s.accumulators.previous_epoch_average(s.epoch, s.epoch_length)?;
    Ok([small(utilisation, "utilisation")?, volatility, drawdown, small(coverage, "coverage")?])
}

/// `instantFeatures()`: the four features of the state at the block, nothing averaged.
pub fn instant_features(s: &VaultSnapshot) -> Result<[i64; 4], ZkError> {
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
        // The position held since before the previous epoch: its averages are the values recorded.
        let held = Accumulators {
            observed_at: 1_000,
            checkpoint_epoch: 0,
            utilisation: U256::from(51),
            coverage: U256::from(80),
            ..Accumulators::default()
        };
        let s = VaultSnapshot {
            accumulators: held,
            epoch: 3,
            epoch_length: 3600,
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
        assert_eq!(instant_features(&s).unwrap(), [51, 46, 6, 80]);
        assert_eq!(features(&s).unwrap(), [51, 46, 6, 80]);
        // One wei more debt crosses the coverage boundary (80 = 0.625 * 128 exactly).
        let more = VaultSnapshot { total_debt: e18(4000) + U256::from(1), ..s.clone() };
        assert_eq!(instant_features(&more).unwrap()[3], 79);
        // ...but the model reads the averages the vault recorded, not the live state.
        assert_eq!(features(&more).unwrap()[3], 80);
        let empty = VaultSnapshot { prices: vec![], total_debt: U256::ZERO, cash: U256::ZERO, ..s };
        assert_eq!(instant_features(&empty).unwrap(), [0, 0, 0, 128]);
    }

    /// The averages follow the contract's checkpoints: the epoch's own checkpoint once it has been
    /// observed, the previous epoch's start and an extension when it has not. A change a quarter
    /// of the way into epoch 4 moves epoch 5's input by the three quarters of the epoch it was
    /// held, and epoch 4's input not at all.
    #[test]
    fn previous_epoch_averages_follow_the_checkpoints() {
        let len = 100u64;
        // Utilisation 40 from t=0; at t=425 (epoch 4) it becomes 80: the contract's observation
        // checkpointed epoch 4's start (cum 400 * 40) and epoch 3's start (300 * 40).
        let a = Accumulators {
            cum_utilisation: U256::from(425u64 * 40),
            observed_at: 425,
            checkpoint_epoch: 4,
            utilisation: U256::from(80),
            start_utilisation: U256::from(400u64 * 40),
            prev_start_utilisation: U256::from(300u64 * 40),
            ..Accumulators::default()
        };
        // In epoch 4: epoch 3's average, 40.
        assert_eq!(a.previous_epoch_average(4, len).unwrap().0, U256::from(40));
        // In epoch 5 (not observed yet): 25 at 40 and 75 at 80 -> 70.
        assert_eq!(a.previous_epoch_average(5, len).unwrap().0, U256::from(70));
        // In epoch 7: all of epoch 6 at 80.
        assert_eq!(a.previous_epoch_average(7, len).unwrap().0, U256::from(80));
        // An observation later than the epoch asked for is refused, not misread.
        assert!(a.previous_epoch_average(3, len).is_err());
    }
}
