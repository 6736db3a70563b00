//! The `weapp-builder` command: `serve` (default), `migrate`, `create-admin`, `openapi`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use weapp_builder::clock::Clock;
use weapp_builder::config::{Secrets, SecretsSource, Settings};
use weapp_builder::domain::password::NewPassword;
use weapp_builder::domain::username::Username;
use weapp_builder::startup::{Application, BuildOptions, build_state};
use weapp_builder::{db, services, telemetry};

#[derive(Parser)]
#[command(
    name = "weapp-builder",
    version,
    about = "WeChat mini-program builder backend"
)]
struct Cli {
    /// Optional TOML settings file; `WEAPP__SECTION__KEY` variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve {
        /// Listen address, e.g. 0.0.0.0:8080 (overrides WEAPP__SERVER__BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Create an agency admin. The password is read twice from stdin; with
    /// `--generate-password` a one-time password is generated and printed once.
    CreateAdmin {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Generate a one-time password instead of reading one.
        #[arg(long)]
        generate_password: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// The working-day calendar (shipped arrangement plus `lifecycle.calendar_file`).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// The subscription lifecycle.
    Lifecycle {
        #[command(subcommand)]
        command: LifecycleCommand,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// One line per date: `YYYY-MM-DD <workday|weekend|holiday|makeup>`.
    Days {
        /// First date (inclusive).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last date (inclusive).
        #[arg(long)]
        to: chrono::NaiveDate,
    },
    /// The N-th working day strictly after DATE.
    AddWorkdays {
        /// The date to count from (not counted).
        date: chrono::NaiveDate,
        /// How many working days.
        n: u32,
    },
}

#[derive(Subcommand)]
enum LifecycleCommand {
    /// What the sweeps will do on each coming day, and why (changes nothing).
    Plan {
        /// Days ahead (1–366).
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let mut settings = Settings::load(cli.config.as_deref(), env.clone())?;
    let command = cli.command.unwrap_or(Command::Serve { bind: None });
    if let Command::Serve { bind: Some(bind) } = &command {
        settings.server.bind = bind.clone();
    }
    if let Command::Openapi = command {
        println!(
            "{}",
            serde_json::to_string_pretty(&weapp_builder::http::openapi_document())?
        );
        return Ok(());
    }
    if let Command::Calendar { command } = &command {
        // A plain message and a non-zero exit, not a backtrace: operators script this.
        if let Err(e) = calendar_command(&settings, command) {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
        return Ok(());
    }
    telemetry::init(&settings.log);
    let (secrets, source) = Secrets::load(&settings, &env)?;
    if source == SecretsSource::GeneratedFile {
        tracing::warn!(
            path = %settings.storage.data_dir.join("secrets.toml").display(),
            "using secrets generated in the data folder; set WEAPP__SECURITY__JWT_SECRET and \
             WEAPP__SECURITY__VAULT_KEYS in production"
        );
    }
    actix_web::rt::System::new().block_on(async move {
        match command {
            Command::Serve { .. } => serve(settings, secrets).await,
            Command::Migrate => {
                let connection = db::connect(&settings.database_url(), &settings).await?;
                db::migrate(&connection).await?;
                tracing::info!("migrations applied");
                Ok(())
            }
            Command::CreateAdmin {
                username,
                generate_password,
            } => create_admin(settings, secrets, &username, generate_password).await,
            Command::Lifecycle {
                command: LifecycleCommand::Plan { days },
            } => lifecycle_plan(settings, secrets, days).await,
            Command::Openapi | Command::Calendar { .. } => unreachable!("handled above"),
        }
    })
}

fn calendar_command(settings: &Settings, command: &CalendarCommand) -> anyhow::Result<()> {
    let source = weapp_builder::lifecycle::calendar::CalendarSource::load(
        settings.lifecycle.calendar_file.clone(),
    )?;
    let calendar = source.current();
    match command {
        CalendarCommand::Days { from, to } => {
            anyhow::ensure!(from <= to, "--from must not be after --to");
            let mut out = std::io::stdout().lock();
            let mut day = *from;
            while day <= *to {
                let kind = calendar.kind(day)?;
                writeln!(out, "{day} {}", kind.as_str())?;
                day = day.succ_opt().context("date overflow")?;
            }
        }
        CalendarCommand::AddWorkdays { date, n } => {
            println!("{}", calendar.add_workdays(*date, *n)?);
        }
    }
    Ok(())
}

async fn lifecycle_plan(settings: Settings, secrets: Secrets, days: i64) -> anyhow::Result<()> {
    let state = build_state(&settings, &secrets, Clock::system(), false).await?;
    let plan = weapp_builder::lifecycle::planner::plan(&state, state.clock.now(), days)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if plan.is_empty() {
        println!("nothing planned in the next {days} days");
    }
    for day in plan {
        println!("{}", day.date);
        for a in day.actions {
            println!(
                "  {} {:<12} {} {}  ({})",
                weapp_builder::domain::time::shanghai_display(a.at),
                a.action,
                a.tenant_id,
                a.business_name,
                a.reason
            );
        }
    }
    Ok(())
}

async fn serve(settings: Settings, secrets: Secrets) -> anyhow::Result<()> {
    let backend = if settings.uses_postgres() {
        "postgresql"
    } else {
        "sqlite"
    };
    let app = Application::build(settings.clone(), secrets, BuildOptions::default()).await?;
    tracing::info!(
        bind = %settings.server.bind,
        port = app.port(),
        database = backend,
        data_dir = %settings.storage.data_dir.display(),
        "weapp-builder listening on http://{}",
        settings.server.bind
    );
    app.run_until_stopped().await
}

async fn create_admin(
    settings: Settings,
    secrets: Secrets,
    username: &str,
    generate: bool,
) -> anyhow::Result<()> {
    let username = Username::parse(username, "username").map_err(|e| anyhow::anyhow!("{e}"))?;
    let password = if generate {
        None
    } else {
        let first = read_password("Password: ")?;
        let second = read_password("Repeat password: ")?;
        anyhow::ensure!(first == second, "the two passwords differ");
        Some(
            NewPassword::parse(&first, username.as_str(), "password")
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        )
    };
    let state = build_state(&settings, &secrets, Clock::system(), true).await?;
    let (account, otp) = services::accounts::create_admin_cli(&state, username, password).await?;
    println!(
        "created agency admin `{}` ({})",
        account.username, account.id
    );
    if let Some(otp) = otp {
        // Printed once to the operator's terminal, never logged.
        println!("one-time password (change it at first login): {otp}");
    }
    Ok(())
}

fn read_password(prompt: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
