//! The keeper's durable memory: per epoch, what it sent and what became of it.
//!
//! A transaction is journalled (hash, nonce and the signed bytes) *before* it is broadcast, and
//! the file is replaced atomically (write, fsync, rename). After a crash or a restart the keeper
//! finds the in-flight transaction, and either sees it mined or re-broadcasts the very same bytes:
//! it never signs a second update for an epoch it already has one in flight for.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use alloy::primitives::{Address, Bytes, TxHash};
use serde::{Deserialize, Serialize};

use crate::error::ZkError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpochStatus {
    /// Signed and (possibly) broadcast; outcome not yet seen.
    Submitted,
    /// Our transaction was mined and applied the update.
    Applied,
    /// Our transaction was mined and reverted.
    Reverted,
    /// Our transaction vanished and its nonce was used by another: it can never be mined.
    Dropped,
    /// The vault had this epoch applied already (by another keeper, or before the journal existed).
    AppliedElsewhere,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochRecord {
    pub status: EpochStatus,
    pub tx_hash: Option<TxHash>,
    pub nonce: Option<u64>,
    /// The signed transaction (EIP-2718 bytes), for re-broadcasting after a restart.
    pub raw: Option<Bytes>,
    pub block: Option<u64>,
    pub gas_used: Option<u64>,
    /// Transactions sent for this epoch (a confirmed revert allows another, up to a limit).
    pub attempts: u32,
    pub note: Option<String>,
    /// Earlier transactions at the same nonce that this one replaced (fee bumps): any of them may
    /// still be the one that gets mined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced: Vec<TxHash>,
    /// When the current transaction was signed (unix seconds).
    #[serde(default)]
    pub sent_at: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Journal {
    pub chain_id: u64,
    pub vault: Address,
    pub epochs: BTreeMap<u64, EpochRecord>,
    #[serde(skip)]
    path: PathBuf,
    /// An exclusive lock on `<state>.lock`, held while the journal is open: two keepers on one
    /// journal would each sign at their own nonce.
    #[serde(skip)]
    _lock: Option<std::fs::File>,
}

fn lock(path: &Path) -> Result<std::fs::File, ZkError> {
    let lock_path = path.with_extension("json.lock");
    if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ZkError::io(dir, e))?;
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| ZkError::io(&lock_path, e))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(ZkError::input(format!(
            "{}: another keeper is running with this state file; stop it or pass another --state",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(ZkError::io(&lock_path, e)),
    }
}

impl Journal {
    /// Opens the journal at `path`, or starts an empty one. A journal of another chain or vault is
    /// refused rather than silently mixed up.
    pub fn open(path: &Path, chain_id: u64, vault: Address) -> Result<Journal, ZkError> {
        let held = lock(path)?;
        if !path.exists() {
            return Ok(Journal {
                chain_id,
                vault,
                epochs: BTreeMap::new(),
                path: path.to_path_buf(),
                _lock: Some(held),
            });
        }
        let mut j: Journal = crate::artifacts::read_json(path)
            .map_err(|e| e.context("the keeper state file is unreadable (move it aside to start afresh)"))?;
        if j.chain_id != chain_id || j.vault != vault {
            return Err(ZkError::input(format!(
                "{}: this state file belongs to vault {} on chain {}, not {vault} on chain {chain_id}; pass another --state",
                path.display(),
                j.vault,
                j.chain_id
            )));
        }
        j.path = path.to_path_buf();
        j._lock = Some(held);
        Ok(j)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The one epoch whose transaction's fate is unknown, if any.
    pub fn in_flight(&self) -> Option<(u64, EpochRecord)> {
        self.epochs.iter().rev().find(|(_, r)| r.status == EpochStatus::Submitted).map(|(e, r)| (*e, r.clone()))
    }

    pub fn get(&self, epoch: u64) -> Option<&EpochRecord> {
        self.epochs.get(&epoch)
    }

    /// Records and persists.
    /// Records and persists. Memory changes only once the file holds the change: a record the
    /// disk never saw must not steer the next round (it could re-broadcast a transaction that a
    /// crash would then forget).
    pub fn put(&mut self, epoch: u64, record: EpochRecord) -> Result<(), ZkError> {
        let previous = self.epochs.insert(epoch, record);
        if let Err(e) = self.save() {
            match previous {
                Some(p) => self.epochs.insert(epoch, p),
                None => self.epochs.remove(&epoch),
            };
            return Err(e);
        }
        Ok(())
    }

    /// Records a mined update under the epoch the vault applied it as, which is later than the
    /// epoch it was signed in when it was proved at the end of one epoch and mined in the next (the
    /// vault accepts it if its inputs did not change). The signed-for entry moves; it is not left
    /// behind as a second record of one transaction. Persisted once, like [`Self::put`].
    pub fn put_applied_as(&mut self, signed_in: u64, applied_as: u64, mut record: EpochRecord) -> Result<(), ZkError> {
        if signed_in == applied_as {
            return self.put(applied_as, record);
        }
        record.note = Some(format!("signed in epoch {signed_in}, applied by the vault as epoch {applied_as}"));
        let old_signed = self.epochs.remove(&signed_in);
        let old_applied = self.epochs.insert(applied_as, record);
        if let Err(e) = self.save() {
            match old_applied {
                Some(r) => self.epochs.insert(applied_as, r),
                None => self.epochs.remove(&applied_as),
            };
            if let Some(r) = old_signed {
                self.epochs.insert(signed_in, r);
            }
            return Err(e);
        }
        Ok(())
    }

    fn save(&self) -> Result<(), ZkError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| ZkError::internal(e.to_string()))?;
        let tmp = self.path.with_extension(format!("json.{}.tmp", std::process::id()));
        let io = |e| ZkError::io(&self.path, e);
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        // The rename itself must survive a power cut.
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_a_reopen_and_refuses_another_vault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let vault = Address::repeat_byte(7);
        let mut j = Journal::open(&path, 31337, vault).unwrap();
        assert!(j.in_flight().is_none());
        let rec = EpochRecord {
            status: EpochStatus::Submitted,
            tx_hash: Some(TxHash::repeat_byte(1)),
            nonce: Some(4),
            raw: Some(Bytes::from(vec![1, 2, 3])),
            block: None,
            gas_used: None,
            attempts: 1,
            note: None,
            replaced: vec![],
            sent_at: None,
        };
        j.put(12, rec).unwrap();
        // One keeper per journal.
        let err = Journal::open(&path, 31337, vault).unwrap_err();
        assert!(err.message.contains("another keeper"), "{}", err.message);
        drop(j);
        let j = Journal::open(&path, 31337, vault).unwrap();
        let (epoch, r) = j.in_flight().unwrap();
        assert_eq!((epoch, r.nonce, r.raw.unwrap().to_vec()), (12, Some(4), vec![1, 2, 3]));
        drop(j);
        let err = Journal::open(&path, 1, vault).unwrap_err();
        assert!(err.message.contains("belongs to vault"), "{}", err.message);
    }

    #[test]
    fn an_update_applied_in_a_later_epoch_is_recorded_there_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let mut j = Journal::open(&path, 31337, Address::repeat_byte(7)).unwrap();
        let rec = |status| EpochRecord {
            status,
            tx_hash: Some(TxHash::repeat_byte(1)),
            nonce: Some(4),
            raw: None,
            block: None,
            gas_used: None,
            attempts: 1,
            note: None,
            replaced: vec![],
            sent_at: None,
        };
        j.put(12, rec(EpochStatus::Submitted)).unwrap();
        j.put_applied_as(12, 13, rec(EpochStatus::Applied)).unwrap();
        drop(j);
        let j = Journal::open(&path, 31337, Address::repeat_byte(7)).unwrap();
        assert!(j.get(12).is_none(), "the signed-in epoch keeps no record of the transaction");
        assert_eq!(j.get(13).unwrap().status, EpochStatus::Applied);
        assert!(j.get(13).unwrap().note.as_deref().unwrap().contains("epoch 12"));
        assert!(j.in_flight().is_none());
    }
}
