use clap::Parser;
use zkinfer::cli::{run, Cli};

fn main() {
    let cli = Cli::parse();
    let json = cli.command.json();
    // Bad input must end in a clear error, never a backtrace: any panic that slips through is
    // reported as an internal error (exit 3) with its message.
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(|| run(cli));
    let error = match outcome {
        Ok(Ok(done)) => std::process::exit(done.exit_code()),
        Ok(Err(e)) => e,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            zkinfer::error::ZkError::internal(format!("internal error: {what} (a zkinfer bug: please report it)"))
        }
    };
    if json {
        println!("{}", serde_json::json!({"ok": false, "error": error.message, "exit_code": error.exit_code()}));
    }
    eprintln!("error: {}", error.message);
    std::process::exit(error.exit_code());
}
