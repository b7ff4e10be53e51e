//! Settling the journalled transaction: what became of an update the keeper already signed (mined,
//! pending, lost by the node, or overtaken at its nonce), so that a restart or a slow pool never
//! leads to a second update for one epoch.

use tracing::{info, warn};

use super::{now, wad, Keeper, Round, MAX_REPLACEMENTS};
use crate::chain::journal::{EpochRecord, EpochStatus};
use crate::chain::rpc::SignedTx;
use crate::error::ZkError;
use crate::evm::abi::IAIRiskVault;
use crate::evm::revert;

impl Keeper {
    /// Finds out what became of the journalled transaction, if one is in flight: mined (applied or
    /// reverted; it or any transaction it replaced), pending (replaced with higher fees once it has
    /// waited `replace_after`), unknown to the node (re-broadcast the same bytes), or dropped (its
    /// nonce was used by another transaction).
    pub(super) async fn settle_in_flight(&mut self) -> Result<Option<Round>, ZkError> {
        let Some((epoch, rec)) = self.journal.in_flight() else { return Ok(None) };
        let (Some(hash), Some(nonce), Some(raw)) = (rec.tx_hash, rec.nonce, rec.raw.clone()) else {
            return Err(ZkError::internal(format!("journal entry for epoch {epoch} lacks its transaction")));
        };
        for h in std::iter::once(hash).chain(rec.replaced.iter().copied()) {
            if let Some(receipt) = self.chain.receipt(h).await? {
                return self.settle_mined(epoch, rec, receipt).await.map(Some);
            }
        }
        if !self.chain.knows(hash).await? {
            if self.chain.latest_nonce().await? > nonce {
                // Another transaction took the nonce (none of ours has a receipt): ours can never be mined.
                let mut rec = rec;
                rec.status = EpochStatus::Dropped;
                self.journal.put(epoch, rec)?;
                warn!(event = "dropped", epoch, tx = %hash, nonce,
                    "epoch {epoch}: {hash} was dropped (nonce {nonce} used elsewhere)");
                return Ok(None);
            }
            warn!(event = "rebroadcast", epoch, tx = %hash, nonce,
                "epoch {epoch}: the node does not know {hash}; re-broadcasting it");
            self.chain.broadcast(&SignedTx { hash, nonce, raw: raw.clone() }).await?;
        }
        if let Some(receipt) = self.chain.wait_receipt(hash, self.cfg.receipt_timeout).await? {
            return self.settle_mined(epoch, rec, receipt).await.map(Some);
        }
        let waited = now().saturating_sub(rec.sent_at.unwrap_or(0));
        // Fees grow by at least a quarter per replacement: a handful is a bounded price rise.
        if waited >= self.cfg.replace_after.as_secs() && rec.replaced.len() < MAX_REPLACEMENTS {
            // Journalled before it is sent, like the original; both share the nonce, so at most one
            // of them is ever mined.
            let next = self.chain.sign_replacement(&raw).await?;
            let mut rec = rec;
            rec.replaced.push(hash);
            rec.tx_hash = Some(next.hash);
            rec.raw = Some(next.raw.clone());
            rec.sent_at = Some(now());
            self.journal.put(epoch, rec)?;
            warn!(event = "replaced", epoch, tx = %next.hash, old_tx = %hash, nonce, waited_s = waited,
                "epoch {epoch}: {hash} pending for {waited}s; replaced by {} with higher fees", next.hash);
            if let Err(e) = self.chain.broadcast(&next).await {
                warn!(event = "broadcast_failed", epoch, tx = %next.hash, error = %e.message, "broadcast failed; will retry");
            }
            return Ok(Some(Round::Pending(epoch)));
        }
        info!(event = "pending", epoch, tx = %hash, "epoch {epoch}: {hash} still pending");
        Ok(Some(Round::Pending(epoch)))
    }

    /// Records a mined transaction's outcome (with the custom error if it reverted).
    async fn settle_mined(
        &mut self,
        epoch: u64,
        mut rec: EpochRecord,
        receipt: alloy::rpc::types::TransactionReceipt,
    ) -> Result<Round, ZkError> {
        let hash = receipt.transaction_hash;
        rec.tx_hash = Some(hash);
        rec.block = receipt.block_number;
        rec.gas_used = Some(receipt.gas_used);
        if receipt.status() {
            rec.status = EpochStatus::Applied;
            let update = receipt
                .inner
                .logs()
                .iter()
                .find_map(|l| l.log_decode::<IAIRiskVault::RiskParametersUpdated>().ok())
                .map(|l| l.inner.data);
            // The epoch the vault recorded, not the one we proved in: an update proved at the end
            // of an epoch and mined in the next is applied as the next.
            let signed_in = epoch;
            let epoch = update.as_ref().and_then(|u| u64::try_from(u.epoch).ok()).unwrap_or(epoch);
            if epoch != signed_in {
                warn!(event = "applied_later", signed_in, epoch, tx = %hash,
                    "the update signed in epoch {signed_in} was mined in epoch {epoch}; the vault applied it as {epoch}");
            }
            self.journal.put_applied_as(signed_in, epoch, rec)?;
            match update {
                Some(u) => info!(event = "applied", epoch, tx = %hash, gas_used = receipt.gas_used,
                    block = receipt.block_number, old_ltv = %u.oldLtv, new_ltv = %u.newLtv,
                    old_rate = %u.oldRate, new_rate = %u.newRate,
                    "epoch {epoch} applied in block {}: maxLtv {} -> {}, borrowRate {} -> {} ({} gas)",
                    receipt.block_number.unwrap_or_default(), wad(u.oldLtv), wad(u.newLtv), wad(u.oldRate),
                    wad(u.newRate), receipt.gas_used),
                None => {
                    info!(event = "applied", epoch, tx = %hash, gas_used = receipt.gas_used, "epoch {epoch} applied")
                }
            }
            return Ok(Round::Applied(epoch));
        }
        rec.status = EpochStatus::Reverted;
        // The receipt only says it failed: replay the transaction on the state before its block
        // to name the custom error.
        let reason = match (self.chain.transaction_request(hash).await, receipt.block_number) {
            (Ok(Some(tx)), Some(b)) if b > 0 => {
                self.chain.revert_data_at(&tx, b - 1).await.map(|d| revert::describe(&d))
            }
            _ => None,
        }
        .unwrap_or_else(|| "reason not available".into());
        rec.note = Some(reason.clone());
        self.journal.put(epoch, rec)?;
        warn!(event = "reverted", epoch, tx = %hash, gas_used = receipt.gas_used, reason = %reason,
            "epoch {epoch}: transaction {hash} reverted on chain: {reason}");
        Ok(Round::Reverted(epoch))
    }
}
