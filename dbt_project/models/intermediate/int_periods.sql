-- The period spine: every month, quarter and year from var first_year to the as-of year, with the
-- periods 同比 and 环比 compare against and whether the period has ended as of the as-of day.
with

years as (
    select cast(t.y as integer) as period_year
    from range({{ var('first_year') }}, year({{ as_of_date() }}) + 1) as t (y)
),

spine as (
    select
        'month' as period_type,
        y.period_year,
        cast(m.n as integer) as period_no,
        1 as months_in_period
    from years as y
    cross join range(1, 13) as m (n)
    union all
    select
        'quarter' as period_type,
        y.period_year,
        cast(q.n as integer) as period_no,
        3 as months_in_period
    from years as y
    cross join range(1, 5) as q (n)
    union all
    select
        'year' as period_type,
        y.period_year,
        1 as period_no,
        12 as months_in_period
    from years as y
),

dated as (
    select
        period_type,
        period_year,
        period_no,
        months_in_period,
        make_date(period_year, (period_no - 1) * months_in_period + 1, 1) as period_start
    from spine
),

coded as (
    select
        *,
        cast(last_day({{ add_months('period_start', 'months_in_period - 1') }}) as date) as period_end,
        case period_type
            when 'month' then {{ year_month('period_start') }}
            when 'quarter' then cast(period_year as string) || 'Q' || cast(period_no as string)
            else cast(period_year as string)
        end as period_code
    from dated
)

select
    period_code,
    period_type,
    {{ period_type_rank('period_type') }} as period_type_rank,
    period_year,
    period_no,
    months_in_period,
    period_start,
    period_end,
    case period_type
        when 'month' then cast(period_year as string) || '年' || cast(period_no as string) || '月'
        when 'quarter' then cast(period_year as string) || '年第' || cast(period_no as string) || '季度'
        else cast(period_year as string) || '年'
    end as period_label,
    case period_type
        when 'month' then {{ year_month(add_months('period_start', -1)) }}
        when 'quarter'
            then
                case
                    when period_no = 1 then cast(period_year - 1 as string) || 'Q4'
                    else cast(period_year as string) || 'Q' || cast(period_no - 1 as string)
                end
        else cast(period_year - 1 as string)
    end as previous_period_code,
    case period_type
        when 'month' then {{ year_month(add_months('period_start', -12)) }}
        when 'quarter' then cast(period_year - 1 as string) || 'Q' || cast(period_no as string)
        else cast(period_year - 1 as string)
    end as same_period_last_year_code,
    period_end < {{ as_of_date() }} as has_ended
from coded
