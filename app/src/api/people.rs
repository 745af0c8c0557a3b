//! People: list, read, create, change, suspend, reactivate.

use crate::domain::people::{PeoplePage, PeopleQuery, PersonDetail, PersonForm};
use crate::domain::AppError;
use leptos::prelude::*;

/// One page of the People list. Needs `user.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "people/list")]
pub async fn list_people(query: PeopleQuery) -> Result<PeoplePage, AppError> {
    use crate::server::authz::{authorize, UserView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<UserView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    crate::server::services::people::list(&ctx.state, &grant, &query)
        .await
        .map_err(|e| ctx.fail(e))
}

/// One person. Needs `user.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "people/get")]
pub async fn get_person(id: i64) -> Result<PersonDetail, AppError> {
    use crate::server::authz::{authorize, UserView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<UserView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    crate::server::services::people::get(&ctx.state, &grant, id, &ctx.client)
        .await
        .map_err(|e| ctx.fail(e))
}

/// Adds a person. Needs `user.create`.
#[server(endpoint = "people/create")]
pub async fn create_person(
    form: PersonForm,
    #[server(default)] initial_password: String,
) -> Result<i64, AppError> {
    use crate::server::authz::{authorize, UserCreate};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = "/people/new";
    let grant = match authorize::<UserCreate>(&ctx).await {
        Ok(grant) => grant,
        Err(e) => return Err(ctx.fail(e)),
    };
    // The password is never put in the flash: after an error it has to be typed again.
    let password = match initial_password.as_str() {
        "" => Ok(None),
        text => crate::domain::values::NewPassword::parse(text).map(Some),
    };
    let input = match (form.parse(), password) {
        (Ok(input), Ok(password)) => (input, password),
        (parsed, password) => {
            let mut errors = parsed.err().unwrap_or_default();
            if let Err(message) = password {
                errors.insert("initial_password".into(), message);
            }
            return Err(ctx
                .fail_form("person", &form, back, AppError::Validation(errors))
                .await);
        }
    };
    let (input, password) = input;
    match crate::server::services::people::create(
        &ctx.state,
        &grant,
        &input,
        password.as_ref(),
        &ctx.client,
    )
    .await
    {
        Ok(id) => {
            ctx.succeed(
                format!("{} was added.", input.display_name.as_str()),
                &format!("/people/{id}"),
            )
            .await;
            Ok(id)
        }
        Err(e) => Err(ctx.fail_form("person", &form, back, e).await),
    }
}

/// Changes a person's name, email and attributes. Needs `user.edit`.
#[server(endpoint = "people/update")]
pub async fn update_person(id: i64, form: PersonForm) -> Result<(), AppError> {
    use crate::server::authz::{authorize, UserEdit};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = format!("/people/{id}");
    let grant = match authorize::<UserEdit>(&ctx).await {
        Ok(grant) => grant,
        Err(e) => return Err(ctx.fail(e)),
    };
    let input = match form.parse() {
        Ok(input) => input,
        Err(errors) => {
            return Err(ctx
                .fail_form("person", &form, &back, AppError::Validation(errors))
                .await)
        }
    };
    match crate::server::services::people::update(&ctx.state, &grant, id, &input, &ctx.client).await
    {
        Ok(()) => {
            ctx.succeed("Changes saved.", &back).await;
            Ok(())
        }
        Err(e) => Err(ctx.fail_form("person", &form, &back, e).await),
    }
}

/// Parses a comma-separated id list from a form.
pub fn parse_ids(text: &str) -> Result<Vec<i64>, AppError> {
    let ids: Result<Vec<i64>, _> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    match ids {
        Ok(ids) if !ids.is_empty() => Ok(ids),
        Ok(_) => Err(AppError::field("ids", "Select at least one person.")),
        Err(_) => Err(AppError::field("ids", "The selection could not be read.")),
    }
}

/// Suspends the given people and ends their sessions. Needs `user.suspend`.
#[server(endpoint = "people/suspend")]
pub async fn suspend_people(ids: String) -> Result<usize, AppError> {
    use crate::server::authz::{authorize, UserSuspend};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    // Only digits and commas reach the redirect: raw input never goes into a Location header.
    let safe_ids: String = ids
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ',')
        .take(4000)
        .collect();
    let back = format!("/people/suspend?ids={safe_ids}");
    let grant = match authorize::<UserSuspend>(&ctx).await {
        Ok(grant) => grant,
        Err(e) => return Err(ctx.fail(e)),
    };
    let values = serde_json::json!({ "ids": ids });
    let parsed = match parse_ids(&ids) {
        Ok(parsed) => parsed,
        Err(e) => return Err(ctx.fail_form("suspend", &values, &back, e).await),
    };
    match crate::server::services::people::suspend(&ctx.state, &grant, &parsed, &ctx.client).await {
        Ok(count) => {
            let notice = match count {
                0 => "Nobody was suspended: they already were.".to_owned(),
                1 => "1 person was suspended and signed out.".to_owned(),
                n => format!("{n} people were suspended and signed out."),
            };
            let to = if parsed.len() == 1 {
                format!("/people/{}", parsed[0])
            } else {
                "/people".to_owned()
            };
            ctx.succeed(notice, &to).await;
            Ok(count)
        }
        Err(e) => Err(ctx.fail_form("suspend", &values, &back, e).await),
    }
}

/// Reactivates a suspended person. Needs `user.suspend`.
#[server(endpoint = "people/reactivate")]
pub async fn reactivate_person(id: i64) -> Result<(), AppError> {
    use crate::server::authz::{authorize, UserSuspend};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let back = format!("/people/{id}");
    let grant = match authorize::<UserSuspend>(&ctx).await {
        Ok(grant) => grant,
        Err(e) => return Err(ctx.fail(e)),
    };
    match crate::server::services::people::reactivate(&ctx.state, &grant, &[id], &ctx.client).await
    {
        Ok(_) => {
            ctx.succeed("Reactivated: they can sign in again.", &back)
                .await;
            Ok(())
        }
        Err(e) => Err(ctx
            .fail_form("reactivate", &serde_json::json!({}), &back, e)
            .await),
    }
}

/// The people behind a selection, for the confirmation page. Needs `user.view`.
#[server(input = server_fn::codec::GetUrl, endpoint = "people/by_ids")]
pub async fn get_people_by_ids(
    ids: String,
) -> Result<Vec<crate::domain::people::PersonSummary>, AppError> {
    use crate::server::authz::{authorize, UserView};
    use crate::server::ctx::RequestCtx;

    let ctx = RequestCtx::load().await?;
    let grant = authorize::<UserView>(&ctx).await.map_err(|e| ctx.fail(e))?;
    let ids = parse_ids(&ids).map_err(|e| ctx.fail(e))?;
    crate::server::services::people::by_ids(&ctx.state, &grant, &ids)
        .await
        .map_err(|e| ctx.fail(e))
}
