use clap::Parser;
use zkinfer::cli::{run, Cli};

fn main() {
    let cli = Cli::parse();
    let json = cli.command.json();
    if let Err(e) = run(cli) {
        if json {
            println!("{}", serde_json::json!({"ok": false, "error": e.message, "exit_code": e.exit_code()}));
        }
        eprintln!("error: {}", e.message);
        std::process::exit(e.exit_code());
    }
}
