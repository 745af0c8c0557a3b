//! The background jobs every replica runs on a timer: SIEM delivery, alert rules, daily
//! checkpoints and retention. Each is safe to run on several replicas at once (leases, cursors
//! and the chain-head lock decide who does the work), and each failure is logged and retried on
//! the next run.

use crate::server::state::AppState;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JobsRun {
    pub delivered: u64,
    pub alerts: usize,
    pub checkpoints: usize,
    pub archives: usize,
}

/// Runs every job once. Errors are logged, not returned: one failing job must not stop others.
pub async fn run_once(state: &AppState) -> JobsRun {
    let mut run = JobsRun::default();
    // Alerts first, so the alerts they raise are delivered in the same run.
    match super::alerts::scan(state).await {
        Ok(n) => run.alerts = n,
        Err(err) => tracing::error!(error = %err, "alert rules failed"),
    }
    match super::webhooks::deliver_due(state).await {
        Ok(n) => run.delivered = n,
        Err(err) => tracing::error!(error = %err, "webhook delivery failed"),
    }
    match super::checkpoint::sign_due(state).await {
        Ok(n) => run.checkpoints = n,
        Err(err) => tracing::error!(error = %err, "signing checkpoints failed"),
    }
    match super::retention::archive_due(state).await {
        Ok(n) => run.archives = n,
        Err(err) => tracing::error!(error = %err, "archiving audit events failed"),
    }
    run
}
