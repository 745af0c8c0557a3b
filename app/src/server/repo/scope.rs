//! Turns the engine's [`ListFilter`] into a SQL condition, so that a list returns exactly the
//! records single checks would allow, filtered and counted in the database.

use crate::domain::access::ScopeAttribute;
use crate::server::authz::ListFilter;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::ColumnTrait;

/// The condition for `filter` over a table whose columns for each scope attribute are given by
/// `column` (`None` when the table has no such attribute: a scope on it matches no row, as a
/// single check on such a record would refuse).
pub fn condition<C: ColumnTrait>(
    filter: &ListFilter,
    column: impl Fn(ScopeAttribute) -> Option<C>,
) -> Condition {
    let nothing = || Condition::all().add(Expr::val(1).eq(0));
    match filter {
        ListFilter::All => Condition::all(),
        ListFilter::Nothing => nothing(),
        ListFilter::AnyOf(scopes) => {
            let mut any = Condition::any();
            let mut usable = 0;
            'scopes: for scope in scopes {
                let mut all = Condition::all();
                for (attribute, values) in scope.constraints() {
                    let Some(col) = column(attribute) else {
                        continue 'scopes;
                    };
                    all = all.add(col.is_in(values.iter().cloned()));
                }
                any = any.add(all);
                usable += 1;
            }
            if usable == 0 {
                nothing()
            } else {
                any
            }
        }
    }
}
