//! `server { }` becomes the `ServerSettings` of the generated `main`: each setting written
//! replaces its default; the binary's flags override them again at start-up.

use proc_macro2::TokenStream;
use quote::quote;

use crate::catalog::settings::{LogFormat, ServerSetting, SettingValue};
use crate::typed::TypedProgram;

/// `ServerSettings { ... }` for the program's settings, `ServerSettings::default()` without.
pub(super) fn settings(program: &TypedProgram) -> TokenStream {
    if program.server.is_empty() {
        return quote! { ServerSettings::default() };
    }
    let mut fields = Vec::new();
    let mut limits = Vec::new();
    for (which, value) in &program.server {
        let n = value.number().unwrap_or_default();
        let millis = quote! { Duration::from_millis(#n) };
        let size = usize::try_from(n).unwrap_or(usize::MAX);
        match which {
            ServerSetting::Threads => {
                let n = u16::try_from(n).unwrap_or(u16::MAX);
                fields.push(quote! { threads: Some(#n) });
            }
            ServerSetting::GracePeriod => fields.push(quote! { grace_period: #millis }),
            ServerSetting::Admin => {
                if let SettingValue::Address(addr) = value {
                    let addr = super::exprs::socket_addr(addr);
                    fields.push(quote! { admin: Some(#addr) });
                }
            }
            ServerSetting::AccessLog => {
                if let SettingValue::LogFormat(format) = value {
                    let format = match format {
                        LogFormat::Off => quote! { Off },
                        LogFormat::Text => quote! { Text },
                        LogFormat::Json => quote! { Json },
                        LogFormat::Combined => quote! { Combined },
                    };
                    fields.push(quote! { access_log: AccessLogFormat::#format });
                }
            }
            ServerSetting::AccessLogFile => {
                if let SettingValue::Text(path) = value {
                    fields
                        .push(quote! { access_log_file: Some(::std::path::PathBuf::from(#path)) });
                }
            }
            ServerSetting::HeaderReadTimeout => {
                limits.push(quote! { header_read_timeout: #millis });
            }
            ServerSetting::IdleTimeout => limits.push(quote! { idle_timeout: #millis }),
            ServerSetting::MaxConnections => limits.push(quote! { max_connections: #size }),
            ServerSetting::MaxUriLength => limits.push(quote! { max_uri_len: #size }),
            ServerSetting::MaxHeaderBytes => limits.push(quote! { max_header_bytes: #size }),
            ServerSetting::MaxHeaders => limits.push(quote! { max_headers: #size }),
            ServerSetting::MaxBodyBytes => {
                let limit = match n {
                    0 => quote! { None },
                    n => quote! { Some(#n) },
                };
                limits.push(quote! { max_body_bytes: #limit });
            }
            ServerSetting::H2MaxConcurrentStreams => {
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                limits.push(quote! { h2_max_concurrent_streams: #n });
            }
            ServerSetting::H2MaxPendingResetStreams => {
                limits.push(quote! { h2_max_pending_accept_reset_streams: #size });
            }
            ServerSetting::H2MaxErrorResetStreams => {
                limits.push(quote! { h2_max_local_error_reset_streams: #size });
            }
        }
    }
    if !limits.is_empty() {
        fields.push(quote! { limits: ClientLimits { #(#limits,)* ..ClientLimits::default() } });
    }
    quote! { ServerSettings { #(#fields,)* ..ServerSettings::default() } }
}
