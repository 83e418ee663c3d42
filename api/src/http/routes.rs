//! The route table, read once from the spec the handlers declare: which methods a path answers
//! (others get 405 with `Allow`), which operations take a feed token as `?token=` (those whose
//! `security` names `feed_token`), and how an operation's answers may be cached (its
//! `x-answer-cache` extension). A new route says this in its own `#[utoipa::path]`; no path list
//! elsewhere needs editing. A report's `.csv` form is an operation of its own in the spec
//! (`http::report`), so it is found like any other.

use std::collections::HashMap;

use actix_web::http::Method;
use utoipa::openapi::path::Operation;

/// The extension an operation declares its caching with.
pub const ANSWER_CACHE: &str = "x-answer-cache";

/// How the answer cache may keep an operation's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Not kept: operations without a caller, or that declare `x-answer-cache: none` (their
    /// state changes without a data version, like webhook deliveries).
    None,
    /// Kept per caller account and role (the default for a GET with a caller).
    PerAccount,
    /// Kept per contact (`x-answer-cache: per-contact`, e.g. `/me`).
    PerContact,
}

/// What the table knows of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// `?token=` is accepted instead of `Authorization: Bearer`.
    pub feed_token: bool,
    pub caching: Caching,
}

const METHODS: [(&str, Method); 5] = [
    ("GET", Method::GET),
    ("POST", Method::POST),
    ("PUT", Method::PUT),
    ("PATCH", Method::PATCH),
    ("DELETE", Method::DELETE),
];

#[derive(Debug, Clone)]
struct Template {
    /// As the spec writes it, e.g. `/api/v1/incidents/{id}`.
    path: String,
    segments: Vec<Segment>,
    /// Per entry of [`METHODS`].
    operations: [Option<Route>; 5],
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

/// Every path template of the spec with its operations, and a tree of their segments to find
/// a path's template in a few map lookups (every request asks, some twice).
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    templates: Vec<Template>,
    root: Node,
}

/// One segment position in the tree: the literal segments that may follow, a parameter, and
/// the template that ends here.
#[derive(Debug, Clone, Default)]
struct Node {
    literals: HashMap<String, Node>,
    parameter: Option<Box<Node>>,
    template: Option<usize>,
}

impl Node {
    fn insert(&mut self, segments: &[Segment], template: usize) {
        match segments.split_first() {
            None => self.template = Some(template),
            Some((Segment::Literal(literal), rest)) => self
                .literals
                .entry(literal.clone())
                .or_default()
                .insert(rest, template),
            Some((Segment::Parameter, rest)) => self
                .parameter
                .get_or_insert_with(Box::default)
                .insert(rest, template),
        }
    }

    /// The template `parts` lead to: a literal segment before a parameter.
    fn find(&self, mut parts: std::str::Split<'_, char>) -> Option<usize> {
        let Some(part) = parts.next() else {
            return self.template;
        };
        self.literals
            .get(part)
            .and_then(|next| next.find(parts.clone()))
            .or_else(|| match part.is_empty() {
                true => None,
                false => self.parameter.as_ref()?.find(parts),
            })
    }
}

impl RouteTable {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let templates = spec
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template
                    .split('/')
                    .map(|s| match s.starts_with('{') && s.ends_with('}') {
                        true => Segment::Parameter,
                        false => Segment::Literal(s.to_owned()),
                    })
                    .collect();
                let operations = [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                    .map(|operation| operation.as_ref().map(route));
                Template {
                    path: template.clone(),
                    segments,
                    operations,
                }
            })
            .collect::<Vec<Template>>();
        let mut root = Node::default();
        for (index, template) in templates.iter().enumerate() {
            root.insert(&template.segments, index);
        }
        RouteTable { templates, root }
    }

    fn template_of(&self, path: &str) -> Option<&Template> {
        self.root
            .find(path.split('/'))
            .map(|index| &self.templates[index])
    }

    /// The operation `method path` is, if the spec has it (`HEAD` is looked up as `GET`).
    pub fn find(&self, method: &Method, path: &str) -> Option<Route> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        let index = METHODS.iter().position(|(_, m)| m == method)?;
        self.template_of(path)?.operations[index]
    }

    /// The spec's template of `path` (for metrics labels), if it is a known path.
    pub fn template(&self, path: &str) -> Option<&str> {
        self.template_of(path)
            .map(|template| template.path.as_str())
    }

    /// The methods `path` answers, if it is a known path.
    pub fn allowed(&self, path: &str) -> Option<Vec<&'static str>> {
        let template = self.template_of(path)?;
        Some(
            METHODS
                .iter()
                .zip(&template.operations)
                .filter_map(|((name, _), operation)| operation.map(|_| *name))
                .collect(),
        )
    }
}

fn route(operation: &Operation) -> Route {
    let security = operation.security.as_deref().unwrap_or_default();
    let feed_token = security.iter().any(|requirement| {
        serde_json::to_value(requirement).is_ok_and(|value| value.get("feed_token").is_some())
    });
    // An empty requirement (`security(())`) means the operation needs no caller.
    let needs_caller = operation.security.is_none()
        || security.iter().all(|requirement| {
            serde_json::to_value(requirement).is_ok_and(|value| value != serde_json::json!({}))
        });
    let declared = operation
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get(ANSWER_CACHE))
        .and_then(serde_json::Value::as_str);
    let caching = match declared {
        Some("none") => Caching::None,
        Some("per-contact") => Caching::PerContact,
        _ if needs_caller => Caching::PerAccount,
        _ => Caching::None,
    };
    Route {
        feed_token,
        caching,
    }
}
