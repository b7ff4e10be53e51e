//! One connection to a chain: an HTTP provider, the signing key and the chain id, with the few
//! operations every on-chain command needs (sign a transaction with an explicit nonce, broadcast it,
//! wait for its receipt) and errors that say which of URL, key or account is wrong.
//!
//! Transactions are signed here rather than by alloy's filler stack so that the caller owns the
//! nonce and holds the signed bytes before they leave the process: the keeper journals them, and
//! after a crash it re-broadcasts the same bytes instead of signing a second transaction.

use std::future::IntoFuture;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use alloy::consensus::TxEnvelope;
use alloy::eips::Encodable2718;
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, Bytes, TxHash, U256};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};

use crate::error::ZkError;

/// How long a single RPC request may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Chain {
    pub provider: RootProvider,
    pub url: String,
    pub chain_id: u64,
    signer: Option<(PrivateKeySigner, EthereumWallet)>,
}

/// A signed transaction, ready to broadcast (or to re-broadcast after a restart).
#[derive(Clone, Debug)]
pub struct SignedTx {
    pub hash: TxHash,
    pub nonce: u64,
    pub raw: Bytes,
}

/// Reads a private key file: 32 bytes as hex (with or without 0x), surrounding whitespace ignored.
/// The key itself never appears in an error message.
pub fn read_key_file(path: &Path) -> Result<PrivateKeySigner, ZkError> {
    let text = std::fs::read_to_string(path).map_err(|e| ZkError::io(path, e))?;
    let hex = text.trim();
    let hex = hex.strip_prefix("0x").unwrap_or(hex);
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ZkError::input(format!(
            "{}: expected a private key as 64 hex digits (optionally 0x-prefixed), found {} characters",
            path.display(),
            hex.len()
        )));
    }
    PrivateKeySigner::from_str(hex)
        .map_err(|_| ZkError::input(format!("{}: not a valid secp256k1 private key", path.display())))
}

/// True for failures of the connection itself (refused, reset, timed out), which a retry may cure,
/// as opposed to the node answering with an error.
pub fn is_transport_error<E>(e: &RpcError<TransportErrorKind, E>) -> bool {
    matches!(e, RpcError::Transport(_))
}

fn rpc_error<E: std::fmt::Display>(what: &str, e: E) -> ZkError {
    ZkError::internal(format!("RPC {what}: {e}"))
}

async fn timed<T, E: std::fmt::Display>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ZkError> {
    match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
        Ok(r) => r.map_err(|e| rpc_error(what, e)),
        Err(_) => Err(ZkError::internal(format!("RPC {what}: no answer within {}s", REQUEST_TIMEOUT.as_secs()))),
    }
}

impl Chain {
    /// Connects and checks the node answers. Plain HTTP only (this build has no TLS).
    pub async fn connect(url: &str, key: Option<PrivateKeySigner>) -> Result<Chain, ZkError> {
        let parsed = url
            .parse::<alloy::transports::http::reqwest::Url>()
            .map_err(|e| ZkError::input(format!("--rpc {url}: not a URL ({e})")))?;
        match parsed.scheme() {
            "http" => {}
            "https" => {
                return Err(ZkError::input(format!(
                    "--rpc {url}: this zkinfer build speaks plain HTTP only (no TLS); run a local node or an \
                     HTTP-to-HTTPS proxy on loopback and point --rpc at it"
                )))
            }
            other => return Err(ZkError::input(format!("--rpc {url}: unsupported scheme '{other}' (use http://)"))),
        }
        let provider = RootProvider::new_http(parsed);
        let chain_id = match tokio::time::timeout(REQUEST_TIMEOUT, provider.get_chain_id()).await {
            Ok(Ok(id)) => id,
            Ok(Err(e)) => {
                return Err(ZkError::input(format!("cannot reach the RPC at {url}: {e}")));
            }
            Err(_) => {
                return Err(ZkError::input(format!(
                    "cannot reach the RPC at {url}: no answer within {}s",
                    REQUEST_TIMEOUT.as_secs()
                )))
            }
        };
        let signer = key.map(|k| {
            let wallet = EthereumWallet::from(k.clone());
            (k, wallet)
        });
        Ok(Chain { provider, url: url.to_string(), chain_id, signer })
    }

    /// The signing account.
    pub fn account(&self) -> Result<Address, ZkError> {
        self.signer
            .as_ref()
            .map(|(k, _)| k.address())
            .ok_or_else(|| ZkError::internal("no signing key was given for a command that sends transactions"))
    }

    /// Fails unless the signing account can pay for at least a little gas.
    pub async fn require_funded(&self) -> Result<U256, ZkError> {
        let who = self.account()?;
        let balance = timed("eth_getBalance", self.provider.get_balance(who).into_future()).await?;
        if balance.is_zero() {
            return Err(ZkError::input(format!(
                "the key's account {who} has no ETH on chain {} to pay for gas: wrong --key-file, or fund the account",
                self.chain_id
            )));
        }
        Ok(balance)
    }

    /// Fails unless there is contract code at `address`.
    pub async fn require_code(&self, address: Address, what: &str) -> Result<(), ZkError> {
        let code = timed("eth_getCode", self.provider.get_code_at(address).into_future()).await?;
        if code.is_empty() {
            return Err(ZkError::input(format!(
                "no contract at {address} on chain {} ({}): wrong {what} address or wrong chain",
                self.chain_id, self.url
            )));
        }
        Ok(())
    }

    /// keccak256 of the runtime code at `address` (what `address.codehash` gives in Solidity).
    pub async fn code_hash(&self, address: Address) -> Result<alloy::primitives::B256, ZkError> {
        let code = timed("eth_getCode", self.provider.get_code_at(address).into_future()).await?;
        Ok(alloy::primitives::keccak256(&code))
    }

    pub async fn block_number(&self) -> Result<u64, ZkError> {
        timed("eth_blockNumber", self.provider.get_block_number().into_future()).await
    }

    /// The next nonce of the signing account, counting its pending transactions.
    pub async fn pending_nonce(&self) -> Result<u64, ZkError> {
        let who = self.account()?;
        timed("eth_getTransactionCount", self.provider.get_transaction_count(who).pending().into_future()).await
    }

    /// The nonce the chain has confirmed for the signing account (transactions mined so far).
    pub async fn latest_nonce(&self) -> Result<u64, ZkError> {
        let who = self.account()?;
        timed("eth_getTransactionCount", self.provider.get_transaction_count(who).latest().into_future()).await
    }

    /// Estimates gas for `tx` from the signing account, on the pending block. A revert comes back as `Err(Ok(data))` with the
    /// revert data, any other failure as `Err(Err(error))`.
    pub async fn estimate_gas(&self, tx: &TransactionRequest) -> Result<u64, Result<Bytes, ZkError>> {
        // The pending block: the state (block number, time) the transaction will meet.
        self.estimate_gas_at(tx, alloy::eips::BlockId::pending()).await
    }

    /// [`Self::estimate_gas`] on the state of `block` (the keeper simulates on `pending`, the state
    /// it read its inputs from).
    pub async fn estimate_gas_at(
        &self,
        tx: &TransactionRequest,
        block: alloy::eips::BlockId,
    ) -> Result<u64, Result<Bytes, ZkError>> {
        let tx = tx.clone().with_from(self.account().map_err(Err)?);
        match tokio::time::timeout(REQUEST_TIMEOUT, self.provider.estimate_gas(tx).block(block).into_future()).await {
            Err(_) => Err(Err(ZkError::internal("RPC eth_estimateGas: no answer in time"))),
            Ok(Ok(gas)) => Ok(gas),
            Ok(Err(e)) => match e.as_error_resp().and_then(|r| r.as_revert_data()) {
                Some(data) => Err(Ok(data)),
                None => Err(Err(rpc_error("eth_estimateGas", e))),
            },
        }
    }

    /// Why `tx` reverts when replayed on the state of `block`: the revert data, if the node gives any.
    /// Used to name the custom error of a transaction that reverted on chain (its receipt says only
    /// that it failed).
    pub async fn revert_data_at(&self, tx: &TransactionRequest, block: u64) -> Option<Bytes> {
        let tx = tx.clone().with_from(self.account().ok()?);
        let call = self.provider.call(tx).block(alloy::eips::BlockId::number(block));
        match tokio::time::timeout(REQUEST_TIMEOUT, call.into_future()).await {
            Ok(Err(e)) => e.as_error_resp().and_then(|r| r.as_revert_data()),
            _ => None,
        }
    }

    /// Signs `tx` with the given nonce and gas limit (EIP-1559 fees from the node, with headroom).
    pub async fn sign(&self, tx: TransactionRequest, nonce: u64, gas_limit: u64) -> Result<SignedTx, ZkError> {
        let fees = timed("fee estimation", self.provider.estimate_eip1559_fees()).await?;
        // Twice the current estimate: a keeper's update must not sit in the pool behind a fee bump.
        self.sign_with_fees(tx, nonce, gas_limit, fees.max_fee_per_gas.saturating_mul(2), fees.max_priority_fee_per_gas)
            .await
    }

    /// Re-signs the transaction in `raw` at the same nonce with higher fees: at least 25% above its
    /// own (what nodes require of a replacement) and twice the current estimate. Only one of the two
    /// can ever be mined.
    pub async fn sign_replacement(&self, raw: &Bytes) -> Result<SignedTx, ZkError> {
        use alloy::consensus::Transaction as _;
        use alloy::eips::Decodable2718;
        let old = TxEnvelope::decode_2718(&mut raw.as_ref())
            .map_err(|e| ZkError::internal(format!("journalled transaction does not decode: {e}")))?;
        let fees = timed("fee estimation", self.provider.estimate_eip1559_fees()).await?;
        let bump = |old: u128| old.saturating_add(old / 4).saturating_add(1);
        let max_fee = bump(old.max_fee_per_gas()).max(fees.max_fee_per_gas.saturating_mul(2));
        let priority = bump(old.max_priority_fee_per_gas().unwrap_or_default()).max(fees.max_priority_fee_per_gas);
        self.sign_with_fees(request_of(&old), old.nonce(), old.gas_limit(), max_fee, priority.min(max_fee)).await
    }

    async fn sign_with_fees(
        &self,
        tx: TransactionRequest,
        nonce: u64,
        gas_limit: u64,
        max_fee: u128,
        priority_fee: u128,
    ) -> Result<SignedTx, ZkError> {
        let (key, wallet) =
            self.signer.as_ref().ok_or_else(|| ZkError::internal("no signing key for a transaction"))?;
        let tx = tx
            .with_from(key.address())
            .with_chain_id(self.chain_id)
            .with_nonce(nonce)
            .with_gas_limit(gas_limit)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(priority_fee);
        let envelope: TxEnvelope =
            tx.build(wallet).await.map_err(|e| ZkError::internal(format!("could not sign the transaction: {e}")))?;
        Ok(SignedTx { hash: *envelope.tx_hash(), nonce, raw: envelope.encoded_2718().into() })
    }

    /// Broadcasts signed bytes. "Already known" is success: the node has this exact transaction.
    pub async fn broadcast(&self, tx: &SignedTx) -> Result<(), ZkError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, self.provider.send_raw_transaction(&tx.raw)).await {
            Err(_) => Err(ZkError::internal("RPC eth_sendRawTransaction: no answer in time")),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                let text = e.to_string().to_lowercase();
                if text.contains("already known") || text.contains("already imported") {
                    Ok(())
                } else {
                    Err(rpc_error("eth_sendRawTransaction", e))
                }
            }
        }
    }

    pub async fn receipt(&self, hash: TxHash) -> Result<Option<TransactionReceipt>, ZkError> {
        timed("eth_getTransactionReceipt", self.provider.get_transaction_receipt(hash).into_future()).await
    }

    /// A mined or pending transaction as a request (to, input, value), for replaying it.
    pub async fn transaction_request(&self, hash: TxHash) -> Result<Option<TransactionRequest>, ZkError> {
        let tx = timed("eth_getTransactionByHash", self.provider.get_transaction_by_hash(hash).into_future()).await?;
        Ok(tx.map(|t| request_of(&t)))
    }

    /// Whether the node knows the transaction at all (pending or mined).
    pub async fn knows(&self, hash: TxHash) -> Result<bool, ZkError> {
        let tx = timed("eth_getTransactionByHash", self.provider.get_transaction_by_hash(hash).into_future()).await?;
        Ok(tx.is_some())
    }

    /// Polls for the receipt until `deadline`; `None` if it has not been mined by then.
    pub async fn wait_receipt(&self, hash: TxHash, within: Duration) -> Result<Option<TransactionReceipt>, ZkError> {
        let deadline = Instant::now() + within;
        let mut pause = Duration::from_millis(100);
        loop {
            if let Some(r) = self.receipt(hash).await? {
                return Ok(Some(r));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(2));
        }
    }

    /// Signs at the pending nonce, broadcasts and waits for the receipt: for one-shot commands
    /// (`deploy`, `mint-aigc`) that need no journal.
    pub async fn send_and_wait(
        &self,
        tx: TransactionRequest,
        gas_limit: u64,
        within: Duration,
    ) -> Result<TransactionReceipt, ZkError> {
        let nonce = self.pending_nonce().await?;
        let signed = self.sign(tx, nonce, gas_limit).await?;
        self.broadcast(&signed).await?;
        self.wait_receipt(signed.hash, within).await?.ok_or_else(|| {
            ZkError::internal(format!("transaction {} was not mined within {}s", signed.hash, within.as_secs()))
        })
    }
}

/// What a transaction asks for (recipient, input, value), as a request to replay or re-sign.
fn request_of(t: &impl alloy::consensus::Transaction) -> TransactionRequest {
    let req = TransactionRequest::default().with_input(t.input().clone()).with_value(t.value());
    match t.to() {
        Some(to) => req.with_to(to),
        None => req,
    }
}
