//! The `weapp-builder` command: `serve` (default), `migrate`, `create-admin`, `openapi`.

use anyhow::Context;

/// mimalloc: measured faster than the system allocator on the client API's hot path
/// (many small per-request allocations across two worker threads).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Write the golden fixtures (rendered pages, app configs, outlines) the front-ends
    /// test against into `fixtures/` (or `--out`).
    Fixtures {
        /// Folder to write into.
        #[arg(long, default_value = "fixtures")]
        out: PathBuf,
    },
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
    /// Run the fake SMS provider (for local demos of SMS). Prints the `WEAPP__SMS__*`
    /// variables that point the service at it.
    SmsFake {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:9200")]
        bind: String,
        /// Base URL of the running service; receipts go to its `/sms/receipts/{token}`.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        app: String,
    },
    /// Run the WeChat platform simulator (for local demos of binding and publishing).
    /// Prints the `WEAPP__WECHAT__*` variables that point the service at it.
    WechatSim {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:9100")]
        bind: String,
        /// Base URL of the running service; pushes go to its `/wechat/…/events`.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        app: String,
        /// Component appid of the simulated platform.
        #[arg(long, default_value = "wx134c8103faa5a59e")]
        component_appid: String,
        /// Seconds between ticket pushes (WeChat: 600).
        #[arg(long, default_value_t = 600)]
        ticket_every: u64,
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
    if let Command::Fixtures { out } = &command {
        let catalog = weapp_builder::render::catalog::Catalog::load(
            settings.render.templates_dir.as_deref(),
        )?;
        let renderer = weapp_builder::render::renderer::Renderer::new(&catalog)?;
        for (path, text) in weapp_builder::render::fixtures::generate(&catalog, &renderer)? {
            let file = out.join(path);
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&file, text)?;
        }
        println!("fixtures written to {}", out.display());
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
    if let Command::SmsFake { bind, app } = command {
        return actix_web::rt::System::new().block_on(run_sms_fake(bind, app));
    }
    if let Command::WechatSim {
        bind,
        app,
        component_appid,
        ticket_every,
    } = command
    {
        return actix_web::rt::System::new().block_on(run_simulator(
            bind,
            app,
            component_appid,
            ticket_every,
        ));
    }
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
            Command::Openapi
            | Command::Fixtures { .. }
            | Command::Calendar { .. }
            | Command::WechatSim { .. }
            | Command::SmsFake { .. } => {
                unreachable!("handled above")
            }
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
                "  {:<16} {:<20} {} {}  ({})",
                a.at.map(weapp_builder::domain::time::shanghai_display)
                    .unwrap_or_else(|| "(no time yet)".into()),
                a.action,
                a.tenant_id,
                a.business_name,
                a.reason
            );
        }
    }
    Ok(())
}

/// Starts the simulator with fresh secrets and prints how to point the service at it.
async fn run_simulator(
    bind: String,
    app: String,
    component_appid: String,
    ticket_every: u64,
) -> anyhow::Result<()> {
    let app = app.trim_end_matches('/').to_owned();
    let config = weapp_builder::wechat_sim::SimConfig {
        component_appid: component_appid.clone(),
        component_secret: alphanumeric(32),
        push_token: alphanumeric(16),
        encoding_aes_key: alphanumeric(43),
        component_callback_url: Some(format!("{app}/wechat/component/events")),
        message_callback_url: Some(format!("{app}/wechat/apps/$APPID$/events")),
        ticket_interval_secs: ticket_every,
    };
    let server = weapp_builder::wechat_sim::start(config.clone(), &bind).await?;
    println!("WeChat simulator on {}", server.base_url);
    println!("Start the service with:");
    println!(
        "  export WEAPP__WECHAT__COMPONENT_APPID={}",
        config.component_appid
    );
    println!(
        "  export WEAPP__WECHAT__COMPONENT_SECRET={}",
        config.component_secret
    );
    println!("  export WEAPP__WECHAT__PUSH_TOKEN={}", config.push_token);
    println!(
        "  export WEAPP__WECHAT__ENCODING_AES_KEY={}",
        config.encoding_aes_key
    );
    println!("  export WEAPP__WECHAT__API_BASE={}", server.base_url);
    println!("  export WEAPP__WECHAT__AUTH_PAGE_BASE={}", server.base_url);
    println!(
        "Control: POST {0}/__sim/push/ticket, POST {0}/__sim/apps/<appid>/audit {{\"result\":\"pass\"}}, \
         GET {0}/__sim/calls (see README)",
        server.base_url
    );
    tokio::signal::ctrl_c().await?;
    server.stop().await;
    Ok(())
}

/// A random string of `n` ASCII letters and digits (demo secrets for the local fakes).
fn alphanumeric(n: usize) -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

async fn run_sms_fake(bind: String, app: String) -> anyhow::Result<()> {
    let (secret_id, secret_key, token) = (
        format!("AKID{}", alphanumeric(32)),
        alphanumeric(32),
        alphanumeric(24),
    );
    let app = app.trim_end_matches('/').to_owned();
    let server = weapp_builder::sms_fake::start(
        weapp_builder::sms_fake::FakeConfig {
            secret_id: secret_id.clone(),
            secret_key: secret_key.clone(),
            sdk_app_id: "1400000000".into(),
            receipt_url: Some(format!("{app}/sms/receipts/{token}")),
        },
        &bind,
    )
    .await?;
    println!("Fake SMS provider on {}", server.base_url);
    println!("Start the service with:");
    println!("  export WEAPP__SMS__BASE_URL={}", server.base_url);
    println!("  export WEAPP__SMS__SDK_APP_ID=1400000000");
    println!("  export WEAPP__SMS__SECRET_ID={secret_id}");
    println!("  export WEAPP__SMS__SECRET_KEY={secret_key}");
    println!("  export WEAPP__SMS__SIGN_NAME=微站");
    println!("  export WEAPP__SMS__RECEIPT_TOKEN={token}");
    println!(
        "Control: GET {0}/__fake/sent, POST {0}/__fake/fail-number {{\"phone\":\"+8613800138000\"}}, \
         POST {0}/__fake/undeliverable {{\"phone\":…}}",
        server.base_url
    );
    tokio::signal::ctrl_c().await?;
    server.stop().await;
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
