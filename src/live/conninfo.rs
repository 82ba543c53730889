//! Connection parameters as psql users give them: a URL or `key=value` conninfo, then the
//! libpq environment variables, then `~/.pgpass`. The password never appears in any output.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// How hard to insist on TLS, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, without checking its certificate (libpq's default).
    Prefer,
    /// TLS, without checking the certificate.
    Require,
    /// TLS with a certificate signed by a trusted CA.
    VerifyCa,
    /// TLS with a certificate signed by a trusted CA and issued for the host name.
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "disable" => Ok(Self::Disable),
            "allow" | "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-ca" => Ok(Self::VerifyCa),
            "verify-full" => Ok(Self::VerifyFull),
            other => Err(format!(
                "sslmode \"{other}\" is not one of disable, allow, prefer, require, verify-ca, verify-full"
            )),
        }
    }
}

/// Everything needed to connect; `Debug` and `Display` leave the password out.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnParams {
    /// Host name, IP address, or a unix-socket directory (starts with `/`).
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password, from the conninfo, PGPASSWORD or `~/.pgpass`.
    pub password: Option<String>,
    /// Database name.
    pub dbname: String,
    /// TLS mode.
    pub sslmode: SslMode,
    /// CA certificates to trust (a PEM file), or `system` for the system's store.
    pub sslrootcert: Option<String>,
    /// `application_name` reported to the server.
    pub application_name: String,
    /// Seconds to wait for the connection (0: no limit).
    pub connect_timeout: u64,
}

impl fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnParams")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .field("dbname", &self.dbname)
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .finish()
    }
}

impl fmt::Display for ConnParams {
    /// `user@host:port/dbname`, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}:{}/{}",
            self.user, self.host, self.port, self.dbname
        )
    }
}

/// Where libpq-style settings come from besides the connection string (the real environment in
/// the CLI, a fixed map in tests).
pub trait Environment {
    /// The value of an environment variable, when set and not empty.
    fn var(&self, name: &str) -> Option<String>;
    /// The user's home directory, for `~/.pgpass` and `~/.postgresql/root.crt`.
    fn home(&self) -> Option<PathBuf>;
}

/// The process environment.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }

    fn home(&self) -> Option<PathBuf> {
        self.var("HOME").map(PathBuf::from)
    }
}

/// What a connection target looks like, for the messages about one that is not.
const EXPECTED_TARGET: &str = "expected --db postgresql://USER@HOST:PORT/DATABASE or --db \
                               'host=HOST port=PORT dbname=DATABASE user=USER'";

/// The libpq variables that say where to connect: with none of them (and no URL) there is no
/// target to speak of.
const CONNECTION_VARIABLES: [&str; 5] =
    ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGSERVICE"];

/// Reads connection parameters: `conninfo` (a `postgresql://` URL or `key=value` pairs), else
/// `DATABASE_URL`, with the libpq variables and `~/.pgpass` filling what neither says.
pub fn resolve(conninfo: Option<&str>, env: &dyn Environment) -> Result<ConnParams, String> {
    let given = conninfo
        .map(str::to_owned)
        .or_else(|| env.var("DATABASE_URL"));
    let mut params = match given.as_deref() {
        Some(text) if text.starts_with("postgresql://") || text.starts_with("postgres://") => {
            parse_url(text)?
        }
        Some(text) => match text.split_once("://") {
            Some((scheme, _)) if !scheme.contains(['=', ' ']) => {
                return Err(format!(
                "connection string: a {scheme}:// URL is not a PostgreSQL one: {EXPECTED_TARGET}"
            ))
            }
            _ if !text.contains('=') => {
                return Err(format!(
                    "connection string: \"{text}\" is neither a URL nor key=value pairs: \
                     {EXPECTED_TARGET}"
                ))
            }
            _ => parse_key_values(text)?,
        },
        None => {
            if !CONNECTION_VARIABLES
                .iter()
                .any(|name| env.var(name).is_some())
            {
                return Err(format!(
                    "no database to connect to: {EXPECTED_TARGET}; or set DATABASE_URL or the \
                     libpq variables (PGHOST, PGDATABASE...)"
                ));
            }
            BTreeMap::new()
        }
    };
    for (key, variable) in [
        ("host", "PGHOST"),
        ("port", "PGPORT"),
        ("user", "PGUSER"),
        ("password", "PGPASSWORD"),
        ("dbname", "PGDATABASE"),
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("application_name", "PGAPPNAME"),
        ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ] {
        if !params.contains_key(key) {
            if let Some(value) = env.var(variable) {
                params.insert(key.to_owned(), value);
            }
        }
    }
    let take = |params: &mut BTreeMap<String, String>, key: &str| params.remove(key);
    let host = take(&mut params, "host").unwrap_or_else(|| "localhost".to_owned());
    let port = match take(&mut params, "port") {
        Some(port) => port
            .parse()
            .map_err(|_| format!("port \"{port}\" is not a port number"))?,
        None => 5432,
    };
    let user = take(&mut params, "user")
        .or_else(|| env.var("USER"))
        .ok_or("no user name: give one in the connection string or PGUSER")?;
    let dbname = take(&mut params, "dbname").unwrap_or_else(|| user.clone());
    let sslmode =
        SslMode::parse(&take(&mut params, "sslmode").unwrap_or_else(|| "prefer".to_owned()))?;
    let connect_timeout = match take(&mut params, "connect_timeout") {
        Some(seconds) => seconds
            .parse()
            .map_err(|_| format!("connect_timeout \"{seconds}\" is not a number of seconds"))?,
        None => 10,
    };
    let mut resolved = ConnParams {
        password: take(&mut params, "password"),
        sslrootcert: take(&mut params, "sslrootcert"),
        application_name: take(&mut params, "application_name")
            .unwrap_or_else(|| "planlint".to_owned()),
        host,
        port,
        user,
        dbname,
        sslmode,
        connect_timeout,
    };
    if let Some(unknown) = params
        .keys()
        .find(|key| !IGNORED_KEYS.contains(&key.as_str()))
    {
        return Err(format!("unknown connection parameter \"{unknown}\""));
    }
    if resolved.password.is_none() {
        let pgpass = env
            .var("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| env.home().map(|home| home.join(".pgpass")));
        if let Some(path) = pgpass {
            resolved.password = pgpass_lookup(&path, &resolved);
        }
    }
    Ok(resolved)
}

/// libpq parameters planlint accepts but has no use for.
const IGNORED_KEYS: &[&str] = &[
    "options",
    "target_session_attrs",
    "gssencmode",
    "keepalives",
    "fallback_application_name",
];

fn parse_url(text: &str) -> Result<BTreeMap<String, String>, String> {
    let url = url::Url::parse(text)
        .map_err(|error| format!("the connection URL is not valid: {error}"))?;
    let decode = |part: &str| percent_decode_str(part).decode_utf8_lossy().into_owned();
    let mut params = BTreeMap::new();
    if let Some(host) = url.host_str().filter(|host| !host.is_empty()) {
        params.insert(
            "host".to_owned(),
            decode(host.trim_start_matches('[').trim_end_matches(']')),
        );
    }
    if let Some(port) = url.port() {
        params.insert("port".to_owned(), port.to_string());
    }
    if !url.username().is_empty() {
        params.insert("user".to_owned(), decode(url.username()));
    }
    if let Some(password) = url.password() {
        params.insert("password".to_owned(), decode(password));
    }
    let dbname = url.path().trim_start_matches('/');
    if !dbname.is_empty() {
        params.insert("dbname".to_owned(), decode(dbname));
    }
    for (key, value) in url.query_pairs() {
        params.insert(key.into_owned(), value.into_owned());
    }
    Ok(params)
}

/// Parses `host=db port=5432 password='it''s secret'` (libpq quoting: single quotes, backslash
/// escapes).
fn parse_key_values(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut params = BTreeMap::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(params);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("connection string: \"{key}\" has no \"=value\""));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => {
                        return Err(format!(
                            "connection string: the value of \"{key}\" has no closing quote"
                        ))
                    }
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        params.insert(key, value);
    }
}

/// The password `~/.pgpass` gives for these parameters (`host:port:db:user:password`, `*`
/// matching anything, `\` escaping `:` and `\`). libpq ignores the file when others can read it.
fn pgpass_lookup(path: &Path, params: &ConnParams) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            eprintln!(
                "planlint: warning: {} is readable by others (chmod 0600 it); its passwords are not used",
                path.display()
            );
            return None;
        }
    }
    let text = std::fs::read_to_string(path).ok()?;
    let host = if params.host.starts_with('/') {
        "localhost"
    } else {
        params.host.as_str()
    };
    let port = params.port.to_string();
    let wanted = [
        host,
        port.as_str(),
        params.dbname.as_str(),
        params.user.as_str(),
    ];
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| {
            let fields = split_pgpass_line(line);
            (fields.len() == 5).then_some(fields)
        })
        .find(|fields| {
            fields[..4]
                .iter()
                .zip(wanted)
                .all(|(field, value)| field == "*" || field == value)
        })
        .map(|fields| fields[4].clone())
}

fn split_pgpass_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().expect("one field").extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeEnv(Vec<(&'static str, String)>, Option<PathBuf>);

    impl Environment for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        }
        fn home(&self) -> Option<PathBuf> {
            self.1.clone()
        }
    }

    fn env(vars: &[(&'static str, &str)]) -> FakeEnv {
        FakeEnv(
            vars.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            None,
        )
    }

    #[test]
    fn urls_give_every_part_percent_decoded() {
        let params = resolve(
            Some("postgresql://ann:p%40ss@db.example.com:6543/shop?sslmode=verify-full&sslrootcert=/ca.pem"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(params.host, "db.example.com");
        assert_eq!(params.port, 6543);
        assert_eq!(params.user, "ann");
        assert_eq!(params.password.as_deref(), Some("p@ss"));
        assert_eq!(params.dbname, "shop");
        assert_eq!(params.sslmode, SslMode::VerifyFull);
        assert_eq!(params.sslrootcert.as_deref(), Some("/ca.pem"));
        assert_eq!(params.application_name, "planlint");
    }

    #[test]
    fn key_values_take_quotes_and_escapes() {
        let params = resolve(
            Some("host=/tmp port=5433 user=bob password='it\\'s a secret' dbname=x"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(params.host, "/tmp");
        assert_eq!(params.password.as_deref(), Some("it's a secret"));
        assert!(resolve(Some("host"), &env(&[])).is_err());
        assert!(resolve(Some("password='open"), &env(&[("USER", "u")])).is_err());
    }

    #[test]
    fn environment_variables_fill_the_gaps_and_database_url_is_read() {
        let vars = env(&[
            ("PGHOST", "h"),
            ("PGPORT", "7000"),
            ("PGUSER", "u"),
            ("PGSSLMODE", "require"),
        ]);
        let params = resolve(Some("dbname=d"), &vars).unwrap();
        assert_eq!(
            (
                params.host.as_str(),
                params.port,
                params.user.as_str(),
                params.dbname.as_str()
            ),
            ("h", 7000, "u", "d")
        );
        assert_eq!(params.sslmode, SslMode::Require);
        let params = resolve(None, &env(&[("DATABASE_URL", "postgres://v@w/z")])).unwrap();
        assert_eq!(
            (
                params.user.as_str(),
                params.host.as_str(),
                params.dbname.as_str()
            ),
            ("v", "w", "z")
        );
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        assert!(resolve(Some("sslmode=strict user=u"), &env(&[]))
            .unwrap_err()
            .contains("sslmode \"strict\""));
        assert!(resolve(Some("port=http user=u"), &env(&[]))
            .unwrap_err()
            .contains("port \"http\""));
        assert!(resolve(Some("colour=red user=u"), &env(&[]))
            .unwrap_err()
            .contains("\"colour\""));
    }

    #[test]
    fn pgpass_supplies_the_password_for_a_matching_line_only_when_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pgpass");
        std::fs::write(&path, "# comment\nother:*:*:*:nope\nh:5432:*:u:s\\:cret\n").unwrap();
        let vars = FakeEnv(vec![("PGPASSFILE", path.display().to_string())], None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(
                resolve(Some("host=h user=u"), &vars).unwrap().password,
                None
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert_eq!(
            resolve(Some("host=h user=u"), &vars)
                .unwrap()
                .password
                .as_deref(),
            Some("s:cret")
        );
        assert_eq!(
            resolve(Some("host=x user=u"), &vars).unwrap().password,
            None
        );
    }

    #[test]
    fn the_password_is_never_shown() {
        let params = resolve(Some("postgresql://ann:hunter2@h/d"), &env(&[])).unwrap();
        assert!(!format!("{params:?}").contains("hunter2"));
        assert!(!params.to_string().contains("hunter2"));
    }
}
