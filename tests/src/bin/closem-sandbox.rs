//! `closem-sandbox`: runs the CLOSEM API emulator for integration tests and the local demo.
//!
//! Prints one line, `closem-sandbox listening on http://IP:PORT`, once it accepts connections.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use closem_tests::sandbox;

const USAGE: &str = "usage: closem-sandbox [--port N] [--ip ADDRESS] [--api-key KEY]
  --port N         port to listen on; 0 (the default) picks a free one
  --ip ADDRESS     address to listen on; default 127.0.0.1
  --api-key KEY    the API key to accept; default: the CLOSEM_SANDBOX_KEY environment variable";

struct Args {
    ip: IpAddr,
    port: u16,
    key: String,
}

fn parse_args() -> Result<Args, String> {
    let mut ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 0u16;
    let mut key = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                let text = value("--port")?;
                port = text.parse().map_err(|_| {
                    format!("--port must be a number from 0 to 65535, not {text:?}")
                })?;
            }
            "--ip" => {
                let text = value("--ip")?;
                ip = text
                    .parse()
                    .map_err(|_| format!("--ip must be an IP address, not {text:?}"))?;
            }
            "--api-key" => key = Some(value("--api-key")?),
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let key = key
        .or_else(|| std::env::var("CLOSEM_SANDBOX_KEY").ok())
        .filter(|key| !key.is_empty())
        .ok_or("give the API key with --api-key KEY or CLOSEM_SANDBOX_KEY")?;
    Ok(Args { ip, port, key })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("closem-sandbox: {problem}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(SocketAddr::new(args.ip, args.port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "closem-sandbox: cannot listen on {}:{}: {error}",
                args.ip, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => {
            eprintln!("closem-sandbox: no local address: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "closem-sandbox listening on http://{address}");
    let _ = stdout.flush();
    tokio::select! {
        result = sandbox::serve(listener, args.key) => match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("closem-sandbox: stopped: {error}");
                ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
    }
}
