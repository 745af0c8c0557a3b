//! The command line: `castellan serve | migrate | admin create | demo seed | audit verify`.

use crate::config::Config;
use crate::startup;
use anyhow::Context;
use app::server::ctx::ClientInfo;
use app::server::services::setup::{self, NewAdmin, SetupForm};
use app::server::{AppState, AuthSettings, SystemClock};
use clap::{Parser, Subcommand};
use sea_orm::EntityTrait;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Castellan: the permission console and authorization service of a CX platform.
#[derive(Debug, Parser)]
#[command(name = "castellan", version)]
pub struct Cli {
    /// A TOML configuration file; `CASTELLAN_*` environment variables override it.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations and serve the console.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The demo organisation.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator (and the organisation, if it does not exist). The password is read
    /// from standard input, or asked for when standard input is a terminal.
    Create {
        /// Short name of the organisation, e.g. `northwind`.
        #[arg(long)]
        org: String,
        /// Display name of the organisation, used when it is created.
        #[arg(long)]
        org_name: Option<String>,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Create the demo CX organisation (idempotent) and print a fresh administrator password.
    Seed {
        /// Read the administrator's new password from standard input instead of generating one
        /// (for scripted demos and browser tests).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every organisation's hash chain (archives included) against its signed
    /// checkpoints; exits non-zero naming the first bad event.
    Verify {
        /// Checkpoint exports kept elsewhere (from the integrity page) to check as well.
        #[arg(long = "checkpoints")]
        checkpoints: Vec<PathBuf>,
        /// Check only the events in the database, not the archive files.
        #[arg(long)]
        skip_archives: bool,
    },
    /// Sign a checkpoint of every organisation's chain head now.
    Checkpoint,
    /// Print an organisation's signed checkpoints as JSON (the integrity page's export).
    ExportCheckpoints {
        /// Short name of the organisation.
        #[arg(long)]
        org: String,
    },
    /// Archive events past each organisation's retention period now.
    Archive,
}

/// Parses arguments and runs the command; errors are printed without secrets.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("castellan: {err:#}");
            return ExitCode::from(2);
        }
    };
    startup::init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("castellan: could not start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli.command, config)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("castellan: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn state_for_cli(config: &Config) -> anyhow::Result<AppState> {
    let db = startup::connect(config).await?;
    startup::migrate(&db).await?;
    Ok(
        AppState::new(db, Arc::new(SystemClock), AuthSettings::default())
            .with_secrets(config.mfa_secrets()?)
            .with_audit(config.audit_signing_key()?, config.audit_settings()),
    )
}

async fn execute(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = startup::connect(&config).await?;
            startup::migrate(&db).await?;
            println!("Migrations applied.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    org,
                    org_name,
                    email,
                    name,
                },
        } => {
            let state = state_for_cli(&config).await?;
            let password = read_password()?;
            let form = SetupForm {
                org_name: org_name.unwrap_or_else(|| org.clone()),
                org_slug: org,
                email,
                display_name: name,
            };
            let admin = match NewAdmin::parse(&form, &password, &password) {
                Ok(admin) => admin,
                Err(errors) => {
                    for (field, message) in errors {
                        eprintln!("{field}: {message}");
                    }
                    return Ok(ExitCode::from(2));
                }
            };
            let client = ClientInfo {
                address: None,
                user_agent: Some("castellan admin create".into()),
            };
            match setup::create_administrator(&state, &admin, "castellan admin create", &client)
                .await
            {
                Ok(principal) => {
                    println!(
                        "Administrator {} created in organisation {}.",
                        principal.email, principal.org_slug
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(app::domain::AppError::Validation(errors)) => {
                    for (field, message) in errors {
                        eprintln!("{field}: {message}");
                    }
                    Ok(ExitCode::from(2))
                }
                Err(err) => anyhow::bail!("{err}"),
            }
        }
        Command::Demo {
            command: DemoCommand::Seed { password_stdin },
        } => {
            let chosen = if password_stdin {
                let text = read_password()?;
                Some(
                    app::domain::values::NewPassword::parse(&text)
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                )
            } else {
                None
            };
            let state = state_for_cli(&config).await?;
            let credentials = app::server::services::demo::seed(&state, chosen)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{} the demo organisation \"{}\".",
                if credentials.created {
                    "Created"
                } else {
                    "Kept"
                },
                credentials.org_slug
            );
            println!("Demo administrator: {}", credentials.email);
            if !password_stdin {
                println!("Password (shown once): {}", credentials.password);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command } => audit(command, &config).await,
    }
}

async fn audit(command: AuditCommand, config: &Config) -> anyhow::Result<ExitCode> {
    use app::server::services::{checkpoint, retention};
    let state = state_for_cli(config).await?;
    let organisations = app::server::entities::organisation::Entity::find()
        .all(&state.db)
        .await?;
    match command {
        AuditCommand::Verify {
            checkpoints,
            skip_archives,
        } => {
            let names: std::collections::HashMap<i64, String> =
                organisations.into_iter().map(|o| (o.id, o.slug)).collect();
            let key = state.audit_signing_key.verifying_key();
            let mut extra = Vec::new();
            for path in &checkpoints {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("could not read {}", path.display()))?;
                let export: checkpoint::CheckpointExport = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a checkpoint export", path.display()))?;
                extra.extend(export.checkpoints);
            }
            let archives = (!skip_archives).then_some(state.audit.archive_dir.as_path());
            let mut broken = false;
            for org_id in app::server::services::audit::chained_organisations(&state.db).await? {
                let label = names
                    .get(&org_id)
                    .cloned()
                    .unwrap_or_else(|| format!("organisation #{org_id} (row missing)"));
                let started = std::time::Instant::now();
                let report = checkpoint::verify_organisation(
                    &state.db,
                    org_id,
                    &key,
                    &extra,
                    archives,
                    &|_| {},
                )
                .await?;
                let elapsed = started.elapsed();
                match report.first_break {
                    None => println!(
                        "{label}: {} events, chain intact ({:.0} events/s)",
                        report.events,
                        report.events as f64 / elapsed.as_secs_f64().max(1e-9)
                    ),
                    Some(b) => {
                        broken = true;
                        println!("{label}: chain BROKEN at event {}: {}", b.seq, b.reason);
                    }
                }
            }
            Ok(if broken {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        AuditCommand::Checkpoint => {
            for org in organisations {
                let signed = checkpoint::sign_head(
                    &state,
                    org.id,
                    app::server::services::audit::Actor::system("castellan audit checkpoint"),
                    &ClientInfo::default(),
                )
                .await?;
                match signed {
                    Some(c) => println!("{}: signed event {} ({})", org.slug, c.seq, c.hash),
                    None => println!("{}: nothing to sign yet", org.slug),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::ExportCheckpoints { org } => {
            let Some(org) = organisations.into_iter().find(|o| o.slug == org) else {
                anyhow::bail!("no organisation is called {org}");
            };
            let export =
                checkpoint::export(&state.db, org.id, &state.audit_signing_key.verifying_key())
                    .await?;
            println!("{}", serde_json::to_string_pretty(&export)?);
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Archive => {
            let archived = retention::archive_due(&state).await?;
            println!("{archived} organisation(s) archived events past their retention period");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads a password: hidden prompt on a terminal, else the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == second, "the two passwords do not match");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("could not read the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let application = startup::build(config.clone()).await?;
    let addr = application.local_addr();
    let url = config.public_url(addr);
    tracing::info!(%addr, "Castellan is listening");
    println!("Castellan is running. Sign in at {url}/login");
    if setup::needs_setup(&application.state.db).await? {
        let token = setup::issue_setup_token(&application.state).await?;
        println!(
            "No administrator exists yet. Create one with this one-time link (valid 24 hours):"
        );
        println!("  {url}/setup?token={token}");
        println!("or run: castellan admin create --org <short-name> --email <email> --name <name>");
    }
    application.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}
