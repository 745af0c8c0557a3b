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
    /// Check every organisation's hash chain; exits non-zero naming the first bad event.
    Verify,
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
    Ok(AppState::new(
        db,
        Arc::new(SystemClock),
        AuthSettings::default(),
    ))
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
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let state = state_for_cli(&config).await?;
            let names: std::collections::HashMap<i64, String> =
                app::server::entities::organisation::Entity::find()
                    .all(&state.db)
                    .await?
                    .into_iter()
                    .map(|o| (o.id, o.slug))
                    .collect();
            let mut broken = false;
            for org_id in app::server::services::audit::chained_organisations(&state.db).await? {
                let label = names
                    .get(&org_id)
                    .cloned()
                    .unwrap_or_else(|| format!("organisation #{org_id} (row missing)"));
                let started = std::time::Instant::now();
                let report = app::server::services::audit::verify_chain(&state.db, org_id).await?;
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
