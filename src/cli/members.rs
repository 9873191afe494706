//! `baton members create`: a member with a password, from the shell (the first admin of a
//! workspace without the setup link, or anyone after).

use std::io::{BufRead, IsTerminal, Read, Write};
use std::process::Command;

use clap::{Args, ValueEnum};

use crate::auth::Role;
use crate::clock::{Clock, SystemClock};
use crate::domain::member::{check_member, check_password};
use crate::domain::validate::Checker;
use crate::store::{NewMember, Store, WorkspaceId};
use crate::{ids, password};

#[derive(Debug, Clone, Args)]
pub struct CreateMember {
    #[arg(long)]
    workspace: String,
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    #[arg(long, value_enum, default_value_t = CliRole::Agent)]
    role: CliRole,
    /// Read the password from standard input instead of asking for it.
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CliRole {
    Admin,
    Agent,
}

pub async fn create(store: &Store, args: CreateMember) -> Result<(), String> {
    let ws = WorkspaceId::trusted(args.workspace);
    if store.get_workspace(&ws).await.map_err(|e| format!("{e:?}"))?.is_none() {
        return Err(format!("no workspace {ws}"));
    }
    let password = if args.password_stdin { password_from_stdin()? } else { password_from_terminal()? };
    let mut check = Checker::new();
    let (name, email, _) = check_member(&mut check, &args.name, &args.email, None);
    check_password(&mut check, &password);
    if let Err(invalid) = check.finish() {
        let problems: Vec<String> =
            invalid.errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect();
        return Err(problems.join("; "));
    }
    let role = match args.role {
        CliRole::Admin => Role::Admin,
        CliRole::Agent => Role::Agent,
    };
    let member = NewMember {
        name,
        email,
        role: role.as_str().to_owned(),
        password_hash: Some(password::hash(password).await.map_err(|e| e.to_string())?),
        avatar_url: None,
    };
    let created = store
        .create_member(&ws, &ids::new_id("mem"), &member, SystemClock.now_ms())
        .await
        .map_err(|e| format!("cannot create the member: {e}"))?;
    println!(
        "Created {} member {} <{}> ({}) in {ws}.",
        role.as_str(),
        created.fields.name,
        created.fields.email,
        created.id
    );
    Ok(())
}

fn password_from_stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

/// Asks on the terminal, without showing what is typed.
fn password_from_terminal() -> Result<String, String> {
    if !std::io::stdin().is_terminal() {
        return Err("no terminal to ask for the password on: pass it with --password-stdin".into());
    }
    // stty changes the terminal it reads from.
    let stty = |setting: &str| {
        let terminal = std::fs::File::open("/dev/tty")?;
        Command::new("stty").arg(setting).stdin(terminal).status()
    };
    eprint!("Password (not shown): ");
    let _ = std::io::stderr().flush();
    let hidden = stty("-echo").is_ok_and(|status| status.success());
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        let _ = stty("echo");
    }
    eprintln!();
    read.map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
