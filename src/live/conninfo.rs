//! Connection parameters as psql users give them: a URL or `key=value` conninfo, then the
//! libpq environment variables, then `~/.pgpass`. The password never appears in any output.
//!
//! The postgres crate's own [`Config`] parses the string: URLs and `key=value` pairs, several
//! hosts, ports and `hostaddr`s, `options`, keepalives, `tcp_user_timeout`, `channel_binding`.
//! planlint keeps only what that parser lacks: the `sslmode` values it does not know
//! (`verify-ca`, `verify-full`, `allow`), `sslrootcert`, `target_session_attrs` beyond
//! `read-write`/`read-only` (`primary`, `standby`, `prefer-standby`), `passfile`,
//! `connect_timeout` (planlint's default is 10 s, not libpq's forever), the PG* environment and
//! `~/.pgpass`.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::Host;
use tokio_postgres::Config;

use crate::suggest::did_you_mean;

/// How hard to insist on TLS, as libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, falling back to plain TCP when the handshake fails
    /// (libpq's default; `allow` is read as this too).
    Prefer,
    /// TLS; the certificate's chain is checked only when a root certificate is at hand.
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

    /// The name libpq gives the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

/// What the server must be for planlint to keep the connection, as libpq's
/// `target_session_attrs`: the hosts are tried in order until one qualifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAttrs {
    /// Any server (the default).
    Any,
    /// One whose sessions may write (`transaction_read_only` off).
    ReadWrite,
    /// One whose sessions are read-only (`transaction_read_only` on): a standby, or a server
    /// with `default_transaction_read_only`.
    ReadOnly,
    /// A server that is not in recovery.
    Primary,
    /// A hot standby (in recovery).
    Standby,
    /// A standby when one of the hosts is; else any.
    PreferStandby,
}

impl SessionAttrs {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "any" => Ok(Self::Any),
            "read-write" => Ok(Self::ReadWrite),
            "read-only" => Ok(Self::ReadOnly),
            "primary" => Ok(Self::Primary),
            "standby" => Ok(Self::Standby),
            "prefer-standby" => Ok(Self::PreferStandby),
            other => Err(format!(
                "target_session_attrs \"{other}\" is not one of any, read-write, read-only, \
                 primary, standby, prefer-standby"
            )),
        }
    }

    /// The name libpq gives the value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::ReadWrite => "read-write",
            Self::ReadOnly => "read-only",
            Self::Primary => "primary",
            Self::Standby => "standby",
            Self::PreferStandby => "prefer-standby",
        }
    }
}

/// One place to try: a host (name or unix-socket directory) and/or an IP address, and a port.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The host name or socket directory, when given.
    pub host: Option<Host>,
    /// The address to connect to instead of resolving `host` (`hostaddr`).
    pub hostaddr: Option<IpAddr>,
    /// The port.
    pub port: u16,
    /// The password `~/.pgpass` has for this host, when the connection string gives none.
    pgpass_password: Option<String>,
}

impl fmt::Display for Endpoint {
    /// `host:port`, `hostaddr:port` or `/socket/dir:port`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.host, &self.hostaddr) {
            (Some(Host::Tcp(host)), _) => write!(f, "{host}:{}", self.port),
            (Some(Host::Unix(path)), _) => write!(f, "{}:{}", path.display(), self.port),
            (None, Some(IpAddr::V6(address))) => write!(f, "[{address}]:{}", self.port),
            (None, Some(address)) => write!(f, "{address}:{}", self.port),
            (None, None) => write!(f, "localhost:{}", self.port),
        }
    }
}

/// Everything needed to connect; `Debug` and `Display` leave the password out.
#[derive(Clone)]
pub struct ConnParams {
    /// What the postgres crate parsed, with the environment's defaults filled in; its hosts are
    /// also in `endpoints`, which the session tries one at a time.
    config: Config,
    /// Where to connect, in the order to try.
    pub endpoints: Vec<Endpoint>,
    /// TLS mode.
    pub sslmode: SslMode,
    /// CA certificates to trust (a PEM file), or `system` for the system's store.
    pub sslrootcert: Option<String>,
    /// Which server to keep.
    pub target_session_attrs: SessionAttrs,
    /// Seconds to wait for each host (0: no limit).
    pub connect_timeout: u64,
}

impl fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnParams")
            .field("endpoints", &self.to_string())
            .field("password", &self.has_password().then_some("********"))
            .field("options", &self.options())
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert)
            .field("target_session_attrs", &self.target_session_attrs)
            .finish()
    }
}

impl fmt::Display for ConnParams {
    /// `user@host:port/dbname` (hosts separated by commas), for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self.endpoints.iter().map(ToString::to_string).collect();
        write!(f, "{}@{}/{}", self.user(), hosts.join(","), self.dbname())
    }
}

impl ConnParams {
    /// The same parameters for another database on the same servers.
    pub fn with_dbname(&self, dbname: &str) -> ConnParams {
        let mut params = self.clone();
        params.config.dbname(dbname);
        params
    }

    /// The user name.
    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }

    /// The database name.
    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    /// The `options` sent to the server at start-up (`-c name=value ...`), if any.
    pub fn options(&self) -> Option<&str> {
        self.config.get_options()
    }

    /// The `application_name` reported to the server.
    pub fn application_name(&self) -> &str {
        self.config.get_application_name().unwrap_or("planlint")
    }

    /// Whether a password is known, from the connection string, PGPASSWORD or `~/.pgpass`.
    pub fn has_password(&self) -> bool {
        self.config.get_password().is_some()
            || self.endpoints.iter().any(|e| e.pgpass_password.is_some())
    }

    /// `user@endpoint/dbname` for one endpoint, for messages.
    pub fn target_of(&self, endpoint: &Endpoint) -> String {
        format!("{}@{endpoint}/{}", self.user(), self.dbname())
    }

    /// The settings, as `key=value` pairs with the password left out, for `--verbose`.
    pub fn describe(&self) -> String {
        let mut hosts = Vec::new();
        let mut addresses = Vec::new();
        for endpoint in &self.endpoints {
            hosts.push(match &endpoint.host {
                Some(Host::Tcp(host)) => host.clone(),
                Some(Host::Unix(path)) => path.display().to_string(),
                None => String::new(),
            });
            addresses.push(endpoint.hostaddr.map(|a| a.to_string()).unwrap_or_default());
        }
        let ports: Vec<String> = self.endpoints.iter().map(|e| e.port.to_string()).collect();
        let mut parts = vec![format!("host={}", hosts.join(","))];
        if addresses.iter().any(|a| !a.is_empty()) {
            parts.push(format!("hostaddr={}", addresses.join(",")));
        }
        parts.push(format!("port={}", ports.join(",")));
        parts.push(format!("user={}", self.user()));
        parts.push(format!("dbname={}", self.dbname()));
        parts.push(format!("sslmode={}", self.sslmode.as_str()));
        if let Some(root) = &self.sslrootcert {
            parts.push(format!("sslrootcert={root}"));
        }
        parts.push(format!(
            "target_session_attrs={}",
            self.target_session_attrs.as_str()
        ));
        parts.push(format!("connect_timeout={}", self.connect_timeout));
        if let Some(options) = self.options() {
            parts.push(format!("options='{}'", options.replace('\'', "\\'")));
        }
        parts.push(format!("application_name={}", self.application_name()));
        parts.push(format!(
            "password={}",
            if self.has_password() {
                "(given)"
            } else {
                "(none)"
            }
        ));
        parts.join(" ")
    }

    /// The postgres crate's configuration for one endpoint: every setting of the connection
    /// string, that endpoint's host, address and port, and its password. TLS is left to the
    /// session. With only an address, the address also stands for the host name, which TLS
    /// needs.
    pub(super) fn config_for(&self, endpoint: &Endpoint) -> Config {
        let base = &self.config;
        let mut config = Config::new();
        config
            .user(self.user())
            .dbname(self.dbname())
            .application_name(self.application_name())
            .keepalives(base.get_keepalives())
            .keepalives_idle(base.get_keepalives_idle())
            .channel_binding(base.get_channel_binding())
            .ssl_negotiation(base.get_ssl_negotiation());
        if let Some(options) = base.get_options() {
            config.options(options);
        }
        if let Some(interval) = base.get_keepalives_interval() {
            config.keepalives_interval(interval);
        }
        if let Some(retries) = base.get_keepalives_retries() {
            config.keepalives_retries(retries);
        }
        if let Some(timeout) = base.get_tcp_user_timeout() {
            config.tcp_user_timeout(*timeout);
        }
        if self.connect_timeout > 0 {
            config.connect_timeout(Duration::from_secs(self.connect_timeout));
        }
        match base.get_password() {
            Some(password) => {
                config.password(password);
            }
            None => {
                if let Some(password) = &endpoint.pgpass_password {
                    config.password(password.as_str());
                }
            }
        }
        match (&endpoint.host, endpoint.hostaddr) {
            (Some(Host::Tcp(host)), _) => {
                config.host(host.as_str());
            }
            (Some(Host::Unix(path)), _) => {
                config.host_path(path);
            }
            (None, Some(address)) => {
                config.host(address.to_string());
            }
            (None, None) => {
                config.host("localhost");
            }
        }
        if let Some(address) = endpoint.hostaddr {
            config.hostaddr(address);
        }
        config.port(endpoint.port);
        config
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

/// The keys the postgres crate's parser reads.
const CRATE_KEYS: &[&str] = &[
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslnegotiation",
    "host",
    "hostaddr",
    "port",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "channel_binding",
    "load_balance_hosts",
];

/// The keys planlint reads itself.
const OWN_KEYS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "target_session_attrs",
    "connect_timeout",
    "passfile",
    "fallback_application_name",
];

/// libpq parameters planlint accepts and has no use for.
const IGNORED_KEYS: &[&str] = &["gssencmode", "sslcompression", "sslsni", "krbsrvname"];

/// libpq parameters planlint does not support, with what to do instead.
const UNSUPPORTED_KEYS: &[(&str, &str)] = &[
    ("sslcert", "client certificates are not supported"),
    ("sslkey", "client certificates are not supported"),
    ("sslpassword", "client certificates are not supported"),
    ("sslcrl", "certificate revocation lists are not supported"),
    (
        "sslcrldir",
        "certificate revocation lists are not supported",
    ),
    (
        "service",
        "connection services (pg_service.conf) are not supported: give the parameters",
    ),
    ("requirepeer", "requirepeer is not supported"),
    (
        "replication",
        "replication connections are not what planlint needs",
    ),
];

/// Reads connection parameters: `conninfo` (a `postgresql://` URL or `key=value` pairs), else
/// `DATABASE_URL`, with the libpq variables and `~/.pgpass` filling what neither says.
pub fn resolve(conninfo: Option<&str>, env: &dyn Environment) -> Result<ConnParams, String> {
    let given = conninfo
        .map(str::to_owned)
        .or_else(|| env.var("DATABASE_URL"));
    let (mut config, own) = match given.as_deref() {
        Some(text) => parse(text)?,
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
            (Config::new(), Vec::new())
        }
    };
    let own_value = |key: &str, variable: Option<&str>| {
        own.iter()
            .rev()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
            .or_else(|| variable.and_then(|variable| env.var(variable)))
    };
    fill_from_environment(&mut config, env)?;
    let user = config
        .get_user()
        .map(str::to_owned)
        .or_else(|| env.var("USER"))
        .ok_or("no user name: give one in the connection string or PGUSER")?;
    config.user(user.as_str());
    if config.get_dbname().is_none() {
        config.dbname(user.as_str());
    }
    if config.get_application_name().is_none() {
        let name =
            own_value("fallback_application_name", None).unwrap_or_else(|| "planlint".to_owned());
        config.application_name(&name);
    }
    let sslrootcert = own_value("sslrootcert", Some("PGSSLROOTCERT"));
    let sslmode = match own_value("sslmode", Some("PGSSLMODE")) {
        Some(mode) => SslMode::parse(&mode)?,
        // libpq 16: the system's CAs come with full verification by default.
        None if sslrootcert.as_deref() == Some("system") => SslMode::VerifyFull,
        None => SslMode::Prefer,
    };
    if sslrootcert.as_deref() == Some("system") && sslmode != SslMode::VerifyFull {
        return Err(format!(
            "sslrootcert=system needs sslmode=verify-full (a weaker sslmode={} would trust any \
             host the system's CAs vouch for, which libpq refuses too)",
            sslmode.as_str()
        ));
    }
    let target_session_attrs = match own_value("target_session_attrs", Some("PGTARGETSESSIONATTRS"))
    {
        Some(attrs) => SessionAttrs::parse(&attrs)?,
        None => SessionAttrs::Any,
    };
    let connect_timeout = match own_value("connect_timeout", Some("PGCONNECT_TIMEOUT")) {
        // libpq reads a negative timeout as none, and rounds 1 up to 2.
        Some(seconds) => seconds
            .trim()
            .parse::<i64>()
            .map(|seconds| u64::try_from(seconds).unwrap_or(0))
            .map_err(|_| format!("connect_timeout \"{seconds}\" is not a number of seconds"))?,
        None => 10,
    };
    let mut endpoints = endpoints(&config)?;
    if config.get_load_balance_hosts() == tokio_postgres::config::LoadBalanceHosts::Random {
        shuffle(&mut endpoints);
    }
    if config.get_password().is_none() {
        let pgpass = own_value("passfile", Some("PGPASSFILE"))
            .map(PathBuf::from)
            .or_else(|| env.home().map(|home| home.join(".pgpass")));
        if let Some(path) = pgpass {
            let entries = pgpass_entries(&path);
            for endpoint in &mut endpoints {
                endpoint.pgpass_password =
                    pgpass_lookup(&entries, endpoint, &user, config.get_dbname().unwrap_or(""));
            }
        }
    }
    Ok(ConnParams {
        config,
        endpoints,
        sslmode,
        sslrootcert,
        target_session_attrs,
        connect_timeout,
    })
}

/// The crate's configuration and planlint's own `(key, value)` pairs from a connection string.
type Parsed = (Config, Vec<(String, String)>);

/// Splits a URL or a `key=value` string, keeps planlint's keys, checks the others' names, and
/// hands the rest to the postgres crate's parser.
fn parse(text: &str) -> Result<Parsed, String> {
    let is_url = text.starts_with("postgresql://") || text.starts_with("postgres://");
    if !is_url {
        match text.split_once("://") {
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
            _ => {}
        }
    }
    let (head, pairs) = if is_url {
        match text.split_once('?') {
            Some((head, query)) => (
                head,
                url::form_urlencoded::parse(query.as_bytes())
                    .map(|(key, value)| (key.into_owned(), value.into_owned()))
                    .collect(),
            ),
            None => (text, Vec::new()),
        }
    } else {
        ("", split_key_values(text)?)
    };
    let mut own = Vec::new();
    let mut passed = Vec::new();
    for (key, value) in pairs {
        let key_str = key.as_str();
        if OWN_KEYS.contains(&key_str) {
            own.push((key, value));
        } else if CRATE_KEYS.contains(&key_str) {
            passed.push((key, value));
        } else if IGNORED_KEYS.contains(&key_str) {
        } else if let Some((_, why)) = UNSUPPORTED_KEYS.iter().find(|(name, _)| *name == key_str) {
            return Err(format!("connection parameter \"{key}\": {why}"));
        } else {
            let known = CRATE_KEYS.iter().chain(OWN_KEYS).copied();
            return Err(format!(
                "unknown connection parameter \"{key}\"{}",
                did_you_mean(&key, known)
            ));
        }
    }
    let rebuilt = if is_url {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in &passed {
            query.append_pair(key, value);
        }
        let query = query.finish();
        if query.is_empty() {
            head.to_owned()
        } else {
            format!("{head}?{query}")
        }
    } else {
        passed
            .iter()
            .map(|(key, value)| {
                format!(
                    "{key}='{}'",
                    value.replace('\\', "\\\\").replace('\'', "\\'")
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let config = Config::from_str(&rebuilt).map_err(|error| {
        // The crate's messages ("invalid connection string: invalid value for option `port`")
        // name the key but never the value, which may be a password.
        let detail = std::error::Error::source(&error)
            .map_or_else(|| error.to_string(), ToString::to_string);
        format!("connection string: {detail}")
    })?;
    Ok((config, own))
}

/// Fills what the connection string left out from the libpq variables (PGHOST, PGHOSTADDR,
/// PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGOPTIONS, PGAPPNAME).
fn fill_from_environment(config: &mut Config, env: &dyn Environment) -> Result<(), String> {
    if config.get_hosts().is_empty() && config.get_hostaddrs().is_empty() {
        if let Some(hosts) = env.var("PGHOST") {
            for host in hosts.split(',') {
                config.host(host);
            }
        }
        if let Some(addresses) = env.var("PGHOSTADDR") {
            for address in addresses.split(',') {
                let parsed = address
                    .trim()
                    .parse()
                    .map_err(|_| format!("PGHOSTADDR \"{address}\" is not an IP address"))?;
                config.hostaddr(parsed);
            }
        }
    }
    if config.get_ports().is_empty() {
        if let Some(ports) = env.var("PGPORT") {
            for port in ports.split(',') {
                let parsed = port
                    .trim()
                    .parse()
                    .map_err(|_| format!("PGPORT \"{port}\" is not a port number"))?;
                config.port(parsed);
            }
        }
    }
    let variable = |name: &str| env.var(name);
    if config.get_user().is_none() {
        if let Some(user) = variable("PGUSER") {
            config.user(&user);
        }
    }
    if config.get_password().is_none() {
        if let Some(password) = variable("PGPASSWORD") {
            config.password(password);
        }
    }
    if config.get_dbname().is_none() {
        if let Some(dbname) = variable("PGDATABASE") {
            config.dbname(&dbname);
        }
    }
    if config.get_options().is_none() {
        if let Some(options) = variable("PGOPTIONS") {
            config.options(&options);
        }
    }
    if config.get_application_name().is_none() {
        if let Some(name) = variable("PGAPPNAME") {
            config.application_name(&name);
        }
    }
    Ok(())
}

/// The hosts to try, in order, each with its address and port (one port for all hosts, or one
/// each, as libpq pairs them).
fn endpoints(config: &Config) -> Result<Vec<Endpoint>, String> {
    let hosts = config.get_hosts();
    let addresses = config.get_hostaddrs();
    let count = hosts.len().max(addresses.len()).max(1);
    if !hosts.is_empty() && !addresses.is_empty() && hosts.len() != addresses.len() {
        return Err(format!(
            "connection string: {} hosts but {} hostaddr values; give one address per host",
            hosts.len(),
            addresses.len()
        ));
    }
    let ports = config.get_ports();
    if ports.len() > 1 && ports.len() != count {
        return Err(format!(
            "connection string: {} port numbers for {count} hosts; give one port, or one per host",
            ports.len()
        ));
    }
    Ok((0..count)
        .map(|index| Endpoint {
            host: match hosts.get(index) {
                Some(host) => Some(host.clone()),
                None if addresses.is_empty() => Some(Host::Tcp("localhost".to_owned())),
                None => None,
            },
            hostaddr: addresses.get(index).copied(),
            port: match ports {
                [] => 5432,
                [port] => *port,
                many => many[index],
            },
            pgpass_password: None,
        })
        .collect())
}

/// Puts the endpoints in a random order, for `load_balance_hosts=random` (std's per-process
/// random hash keys are randomness enough to spread connections).
fn shuffle(endpoints: &mut [Endpoint]) {
    use std::hash::{BuildHasher, Hasher};
    let keys = std::collections::hash_map::RandomState::new();
    let mut keyed: Vec<(u64, Endpoint)> = endpoints
        .iter()
        .enumerate()
        .map(|(index, endpoint)| {
            let mut hasher = keys.build_hasher();
            hasher.write_usize(index);
            (hasher.finish(), endpoint.clone())
        })
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    for (slot, (_, endpoint)) in endpoints.iter_mut().zip(keyed) {
        *slot = endpoint;
    }
}

/// Splits `host=db port=5432 password='it''s secret'` into pairs (libpq quoting: single quotes,
/// backslash escapes).
fn split_key_values(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
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
        pairs.push((key, value));
    }
}

/// The `host:port:db:user:password` lines of a password file (`*` matching anything, `\`
/// escaping `:` and `\`); none when the file is missing, or readable by others (libpq ignores
/// it then, and so does planlint, with a warning).
fn pgpass_entries(path: &Path) -> Vec<Vec<String>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(metadata) = std::fs::metadata(path) else {
            return Vec::new();
        };
        if metadata.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "planlint: warning: {} is readable by others (chmod 0600 it); its passwords are not used",
                path.display()
            );
            return Vec::new();
        }
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(split_pgpass_line)
        .filter(|fields| fields.len() == 5)
        .collect()
}

/// The password of the first entry matching the endpoint, user and database. A socket
/// connection is looked up as `localhost`, an address-only one by its address.
fn pgpass_lookup(
    entries: &[Vec<String>],
    endpoint: &Endpoint,
    user: &str,
    dbname: &str,
) -> Option<String> {
    let host = match (&endpoint.host, endpoint.hostaddr) {
        (Some(Host::Tcp(host)), _) => host.clone(),
        (Some(Host::Unix(_)), _) => "localhost".to_owned(),
        (None, Some(address)) => address.to_string(),
        (None, None) => "localhost".to_owned(),
    };
    let port = endpoint.port.to_string();
    let wanted = [host.as_str(), port.as_str(), dbname, user];
    entries
        .iter()
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

/// The `-c name=value` (or `--name=value`) settings in an `options` string, split as the
/// server splits it: at unescaped spaces, `\` escaping the next character.
pub fn option_settings(options: &str) -> Vec<(String, String)> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut settings = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let setting = if word == "-c" {
            words.next()
        } else if let Some(rest) = word.strip_prefix("-c") {
            Some(rest.to_owned())
        } else {
            word.strip_prefix("--").map(str::to_owned)
        };
        if let Some((name, value)) = setting.as_deref().and_then(|s| s.split_once('=')) {
            // The server reads `-` in a name as `_`.
            settings.push((name.replace('-', "_"), value.to_owned()));
        }
    }
    settings
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

    fn password_of(params: &ConnParams, endpoint: usize) -> Option<String> {
        params
            .config_for(&params.endpoints[endpoint])
            .get_password()
            .map(|bytes| String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[test]
    fn urls_give_every_part_percent_decoded() {
        let params = resolve(
            Some("postgresql://ann:p%40ss@db.example.com:6543/shop?sslmode=verify-full&sslrootcert=/ca.pem&application_name=ci"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(params.to_string(), "ann@db.example.com:6543/shop");
        assert_eq!(password_of(&params, 0).as_deref(), Some("p@ss"));
        assert_eq!(params.sslmode, SslMode::VerifyFull);
        assert_eq!(params.sslrootcert.as_deref(), Some("/ca.pem"));
        assert_eq!(params.application_name(), "ci");
    }

    #[test]
    fn key_values_take_quotes_and_escapes() {
        let params = resolve(
            Some("host=/tmp port=5433 user=bob password='it\\'s a secret' dbname=x"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(
            params.endpoints[0].host,
            Some(Host::Unix(PathBuf::from("/tmp")))
        );
        assert_eq!(password_of(&params, 0).as_deref(), Some("it's a secret"));
        assert!(resolve(Some("host"), &env(&[])).is_err());
        assert!(resolve(Some("password='open"), &env(&[("USER", "u")])).is_err());
    }

    #[test]
    fn several_hosts_with_their_ports_and_addresses_are_tried_in_order() {
        let params = resolve(
            Some("host=a,b,c port=5432,5433,5434 hostaddr=10.0.0.1,10.0.0.2,::1 user=u target_session_attrs=standby"),
            &env(&[]),
        )
        .unwrap();
        let shown: Vec<String> = params.endpoints.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["a:5432", "b:5433", "c:5434"]);
        assert_eq!(
            params.endpoints[2].hostaddr,
            Some("::1".parse::<IpAddr>().unwrap())
        );
        assert_eq!(params.target_session_attrs, SessionAttrs::Standby);
        let url = resolve(
            Some("postgresql://u@one:6000,two:6001/db?target_session_attrs=read-only"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(url.to_string(), "u@one:6000,two:6001/db");
        assert_eq!(url.target_session_attrs, SessionAttrs::ReadOnly);
        let balanced = resolve(
            Some("host=a,b,c,d,e,f,g,h load_balance_hosts=random user=u"),
            &env(&[]),
        )
        .unwrap();
        let mut hosts: Vec<String> = balanced.endpoints.iter().map(ToString::to_string).collect();
        hosts.sort();
        assert_eq!(hosts.len(), 8, "every host is still tried once");
        assert_eq!(hosts[0], "a:5432");
        let one_port = resolve(Some("host=a,b port=7000 user=u"), &env(&[])).unwrap();
        assert_eq!(one_port.to_string(), "u@a:7000,b:7000/u");
        assert!(resolve(Some("host=a,b,c port=1,2 user=u"), &env(&[]))
            .unwrap_err()
            .contains("2 port numbers for 3 hosts"));
    }

    #[test]
    fn options_keepalives_and_timeouts_reach_the_crate_config() {
        let params = resolve(
            Some("host=h user=u options='-c search_path=app -csearch_path=x --work-mem=64MB' keepalives=0 keepalives_idle=30 tcp_user_timeout=5 connect_timeout=3"),
            &env(&[]),
        )
        .unwrap();
        let config = params.config_for(&params.endpoints[0]);
        assert_eq!(
            config.get_options(),
            Some("-c search_path=app -csearch_path=x --work-mem=64MB")
        );
        assert!(!config.get_keepalives());
        assert_eq!(config.get_keepalives_idle(), Duration::from_secs(30));
        assert_eq!(config.get_tcp_user_timeout(), Some(&Duration::from_secs(5)));
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(
            option_settings(params.options().unwrap()),
            [
                ("search_path".to_owned(), "app".to_owned()),
                ("search_path".to_owned(), "x".to_owned()),
                ("work_mem".to_owned(), "64MB".to_owned()),
            ]
        );
        assert_eq!(
            option_settings(r"-c search_path=a,\ b"),
            [("search_path".to_owned(), "a, b".to_owned())]
        );
        assert!(params.describe().contains("options='-c search_path=app"));
    }

    #[test]
    fn environment_variables_fill_the_gaps_and_database_url_is_read() {
        let vars = env(&[
            ("PGHOST", "h"),
            ("PGPORT", "7000"),
            ("PGUSER", "u"),
            ("PGSSLMODE", "require"),
            ("PGOPTIONS", "-c search_path=app"),
            ("PGTARGETSESSIONATTRS", "primary"),
        ]);
        let params = resolve(Some("dbname=d"), &vars).unwrap();
        assert_eq!(params.to_string(), "u@h:7000/d");
        assert_eq!(params.sslmode, SslMode::Require);
        assert_eq!(params.options(), Some("-c search_path=app"));
        assert_eq!(params.target_session_attrs, SessionAttrs::Primary);
        let params = resolve(None, &env(&[("DATABASE_URL", "postgres://v@w/z")])).unwrap();
        assert_eq!(params.to_string(), "v@w:5432/z");
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        assert!(resolve(Some("sslmode=strict user=u"), &env(&[]))
            .unwrap_err()
            .contains("sslmode \"strict\""));
        assert!(resolve(Some("port=http user=u"), &env(&[]))
            .unwrap_err()
            .contains("`port`"));
        assert!(resolve(Some("colour=red user=u"), &env(&[]))
            .unwrap_err()
            .contains("\"colour\""));
        assert!(resolve(Some("hots=h user=u"), &env(&[]))
            .unwrap_err()
            .ends_with("did you mean `host`?"));
        assert!(
            resolve(Some("target_session_attrs=replica user=u"), &env(&[]))
                .unwrap_err()
                .contains("prefer-standby")
        );
        assert!(resolve(Some("sslcert=c.pem user=u"), &env(&[]))
            .unwrap_err()
            .contains("client certificates"));
        assert!(
            resolve(Some("sslmode=require sslrootcert=system user=u"), &env(&[]))
                .unwrap_err()
                .contains("verify-full")
        );
        assert_eq!(
            resolve(Some("sslrootcert=system user=u"), &env(&[]))
                .unwrap()
                .sslmode,
            SslMode::VerifyFull
        );
    }

    #[test]
    fn pgpass_supplies_the_password_of_each_host_only_when_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".pgpass");
        std::fs::write(
            &path,
            "# comment\nother:*:*:*:nope\nh:5432:*:u:s\\:cret\nk:*:*:u:second\n",
        )
        .unwrap();
        let vars = FakeEnv(vec![("PGPASSFILE", path.display().to_string())], None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let params = resolve(Some("host=h user=u"), &vars).unwrap();
            assert_eq!(password_of(&params, 0), None);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let params = resolve(Some("host=h,x,k user=u"), &vars).unwrap();
        assert_eq!(password_of(&params, 0).as_deref(), Some("s:cret"));
        assert_eq!(password_of(&params, 1), None);
        assert_eq!(password_of(&params, 2).as_deref(), Some("second"));
    }

    #[test]
    fn the_password_is_never_shown() {
        let params = resolve(Some("postgresql://ann:hunter2@h/d"), &env(&[])).unwrap();
        assert!(!format!("{params:?}").contains("hunter2"));
        assert!(!params.to_string().contains("hunter2"));
        assert!(!params.describe().contains("hunter2"));
        let error = resolve(Some("host=h user=u password=hunter2 port=x"), &env(&[])).unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
    }
}
