-- Progress of every plan target, judged at each year end inside its evaluation window and at the
-- as-of day (is_current), from int_target_evaluation_inputs.
-- How each kind is judged: see the model's description in _intermediate__models.yml.
-- Once the target date has passed a target is never "in progress": it is final, judged on data
-- covering what its kind judges (basis below), or 数据不足 with the missing periods named:
--   latest   (levels, counts, ratios of stocks): the value of the last reporting period ending by
--            the target date (a value older than that is one reporting period or more stale);
--   window   (cumulative, pooled shares): every period of the window;
--   each_year (annual_min, each-year shares), years (annual averages, trends, growth): every plan
--            year, i.e. every calendar year whose 31 December lies in the window;
--   growth   (cagr_min): the baseline and the last plan year.
-- An outcome the missing data cannot change is final too: a failed year (each_year), a falling
-- year (trends, growth), a sum already reached (cumulative flows only grow).
with

assembled as (
    select
        *,
        case
            when target_kind in ('cumulative_min', 'absence') then 'window'
            when target_kind = 'rank_max' then 'rank'
            when target_kind = 'share_min' and is_point_in_time then 'latest'
            when target_kind = 'share_min' and judgement = 'each_year' then 'each_year'
            when target_kind = 'share_min' then 'window'
            when target_kind = 'annual_min' then 'each_year'
            when target_kind in ('annual_average_min', 'trend_up', 'growth_at_least_other', 'annual_increase')
                then 'years'
            when target_kind = 'cagr_min' then 'growth'
            else 'latest'
        end as basis
    from {{ ref('int_target_evaluation_inputs') }}
),

with_growth as (
    select
        *,
        case
            when
                baseline_value > 0 and baseline_date is not null and latest_year_value > 0
                and latest_year > year(baseline_date)
                then (
                    power(
                        {{ divide('latest_year_value', 'baseline_value') }},
                        {{ divide('1.0', '(latest_year - year(baseline_date))') }}
                    ) - 1
                ) * 100
        end as cagr_to_latest_year_pct
    from assembled
),

measured as (
    select
        *,
        -- The figure compared with the target, in the target's unit (a growth rate in % for cagr_min).
        case
            when target_kind in ('level_by_date', 'count_by_date', 'coverage_min') then latest_value
            when target_kind in ('cumulative_min', 'absence') then window_sum
            when target_kind = 'rank_max' then worst_rank
            when basis = 'each_year' then min_of_years
            when target_kind = 'annual_average_min' then average_of_years
            when target_kind = 'share_min' and is_point_in_time then latest_value
            when target_kind = 'share_min' then window_share
            when target_kind = 'cagr_min' then cast(cagr_to_latest_year_pct as decimal(38, 12))
            when target_kind = 'growth_at_least_other' then cast(latest_growth_pct as decimal(38, 12))
            else latest_value
        end as measured_value,
        case
            when target_kind in ('level_by_date', 'count_by_date', 'coverage_min') then latest_period_end
            when basis = 'window' then window_data_end
            when basis = 'rank' then make_date(rank_year, 12, 31)
            when target_kind = 'share_min' and is_point_in_time then latest_period_end
            when last_year_with_value is not null then make_date(last_year_with_value, 12, 31)
            else latest_period_end
        end as data_end
    from with_growth
),

with_fallback as (
    select
        {{ star_except(['m.measured_value', 'data_end'], 'm') }},
        -- A plan that ended before the warehouse has data is judged on the actual its seed reports.
        case
            when m.measured_value is null and m.window_ended and m.reported_actual is not null
                then m.reported_actual
            else m.measured_value
        end as current_value,
        case
            when m.measured_value is not null then 'data'
            when m.window_ended and m.reported_actual is not null then 'catalogue'
        end as current_value_source,
        case
            when m.measured_value is null and m.window_ended and m.reported_actual is not null
                then m.period_end
            else m.data_end
        end as data_end
    from measured as m
),

timed as (
    select
        *,
        {{ divide(
            "greatest(" ~ days_between('period_start', 'data_end') ~ " + 1, 0)",
            "(" ~ days_between('period_start', 'target_date') ~ " + 1)"
        ) }} as elapsed_share,
        {{ divide("greatest(" ~ days_between('data_end', 'target_date') ~ ", 0)", '365.25') }} as remaining_years,
        {{ divide(
            "greatest(" ~ days_between('period_start', 'evaluation_date') ~ " + 1, 0)",
            "(" ~ days_between('period_start', 'target_date') ~ " + 1)"
        ) }} as calendar_elapsed_share,
        evaluation_date >= target_date or window_ended as is_closed,
        case
            when baseline_date is not null and data_end > baseline_date
                then {{ divide(days_between('baseline_date', 'data_end'), '365.25') }}
        end as years_since_baseline
    from with_fallback
),

judged as (
    select
        *,
        case
            when target_kind in ('level_by_date', 'count_by_date', 'coverage_min') and current_value is not null
                then
                    case
                        when baseline_value is not null and target_value <> baseline_value
                            then {{ divide('current_value - baseline_value', 'target_value - baseline_value') }} * 100
                        when target_value <> 0 then {{ divide('current_value', 'target_value') }} * 100
                    end
            when
                target_kind in ('cumulative_min', 'annual_min', 'annual_average_min', 'share_min', 'cagr_min')
                and target_value <> 0
                then {{ divide('current_value', 'target_value') }} * 100
        end as completion_pct_raw,
        {{ meets('current_value', 'target_value', 'comparator') }} as meets_target_now,
        -- The data cover everything the basis judges.
        case basis
            when 'latest' then latest_period_end >= required_data_end
            when 'window' then window_periods > 0 and window_periods_with_value = window_periods
            when 'growth' then baseline_value is not null and latest_year = last_plan_year
            when 'rank' then worst_rank is not null and rank_year = last_plan_year
            else plan_years > 0 and plan_years_with_value = plan_years
        end as is_covered,
        -- Missing data could not change the outcome.
        case
            when basis = 'each_year' then plan_years_failed > 0
            when target_kind in ('trend_up', 'annual_increase') then changes_up < changes_counted
            when target_kind = 'absence' then not {{ meets('current_value', 'target_value', 'comparator') }}
            when target_kind = 'growth_at_least_other' then growth_years_met < growth_years_counted
            when target_kind = 'cumulative_min' then {{ meets('current_value', 'target_value', 'comparator') }}
            else false
        end as is_settled
    from timed
),

finality as (
    select
        *,
        target_kind is not null and target_value_status <> 'unknown' and (
            current_value_source = 'catalogue'
            or (is_closed and current_value_source = 'data' and (is_covered or is_settled))
            -- An event that has happened cannot un-happen: an absence target fails at once.
            or (target_kind = 'absence' and current_value_source = 'data' and is_settled)
        ) as is_final_raw
    from judged
),

paced as (
    select
        *,
        coalesce(is_final_raw, false) as is_final,
        -- 序时进度 measures a running window; once it has closed only the verdict counts.
        case when not is_closed then least(greatest(elapsed_share, 0), 1) * 100 end as time_elapsed_pct,
        case
            when
                target_kind in ('level_by_date', 'count_by_date', 'coverage_min', 'cumulative_min')
                and elapsed_share > 0
                then {{ divide('completion_pct_raw', '100') }} / least(elapsed_share, 1)
            when target_kind in ('annual_min', 'annual_average_min', 'share_min')
                then {{ divide('completion_pct_raw', '100') }}
            when target_kind = 'cagr_min' and target_value <> 0 then {{ divide('current_value', 'target_value') }}
            when target_kind in ('trend_up', 'annual_increase') and changes_counted > 0
                then {{ divide('changes_up', 'changes_counted') }}
            when target_kind = 'growth_at_least_other' and growth_years_counted > 0
                then {{ divide('growth_years_met', 'growth_years_counted') }}
        end as pace_ratio,
        -- What a final judgement still lacks once the target date has passed (Chinese, exact periods).
        case basis
            when 'latest'
                then
                    required_period_label || '数据'
                    || coalesce('（最新为' || latest_period_label || '）', '')
            when 'window'
                then
                    case
                        when first_missing_period = last_missing_period then first_missing_period
                        else first_missing_period || '至' || last_missing_period
                    end
                    || '数据（共' || (window_periods - window_periods_with_value) || '期）'
            when 'rank' then coalesce(rank_missing_reason, last_plan_year || '年排名')
            when 'growth'
                then
                    case
                        when baseline_value is null then '基期' || coalesce(baseline_period, '') || '年数据'
                        else last_plan_year || '年数据'
                    end
            else missing_plan_years || '数据'
        end as missing_for_final
    from finality
)

select
    target_code,
    plan_code,
    region_code,
    indicator_code,
    compare_indicator_code,
    target_kind,
    judgement,
    basis,
    comparator,
    target_value,
    target_value_status,
    target_date,
    period_start,
    period_end,
    evaluation_date,
    is_current,
    baseline_value,
    baseline_source,
    baseline_date,
    cast(current_value as decimal(38, 12)) as current_value,
    current_value_source,
    data_end,
    latest_value,
    latest_period_code,
    latest_value_sources,
    required_period_code,
    latest_year_value,
    latest_year,
    cast(completion_pct_raw as decimal(38, 6)) as completion_pct,
    cast(time_elapsed_pct as decimal(38, 6)) as time_elapsed_pct,
    cast(least(calendar_elapsed_share, 1) * 100 as decimal(38, 6)) as calendar_elapsed_pct,
    cast(pace_ratio as decimal(38, 6)) as pace_ratio,
    meets_target_now,
    is_final,
    case
        when target_kind is null or target_value_status = 'unknown' then '数据不足'
        when current_value is null and target_kind not in ('trend_up', 'growth_at_least_other', 'annual_increase')
            then '数据不足'
        when target_kind in ('trend_up', 'annual_increase') and coalesce(changes_counted, 0) = 0 then '数据不足'
        when target_kind = 'growth_at_least_other' and coalesce(growth_years_counted, 0) = 0 then '数据不足'
        when data_end < period_start and current_value_source = 'data' then '数据不足'
        when is_final and target_kind in ('trend_up', 'growth_at_least_other', 'annual_increase') and pace_ratio = 1
            then '已完成'
        when
            is_final and target_kind not in ('trend_up', 'growth_at_least_other', 'annual_increase')
            and meets_target_now
            then '已完成'
        -- A closed window gets its verdict, never a pace status.
        when is_final then '未完成'
        -- The target date has passed without the data a final judgement needs.
        when is_closed then '数据不足'
        when
            target_kind in ('level_by_date', 'count_by_date', 'coverage_min', 'cumulative_min') and meets_target_now
            then '已完成'
        when basis = 'each_year' and plan_years_failed > 0 then '滞后'
        -- No event so far (an event is final above); a rank within the target so far.
        when target_kind in ('absence', 'rank_max') then case when meets_target_now then '进度正常' else '滞后' end
        when target_kind = 'annual_increase' and changes_up < changes_counted then '滞后'
        when target_kind in ('annual_average_min', 'share_min', 'annual_min') and meets_target_now then '进度正常'
        when target_kind in ('annual_average_min', 'share_min', 'annual_min')
            then case when pace_ratio >= {{ var('pace_on_track') }} then '需加快' else '滞后' end
        when pace_ratio is null then '数据不足'
        when pace_ratio >= {{ var('pace_on_track') }} then '进度正常'
        when pace_ratio >= {{ var('pace_needs_acceleration') }} then '需加快'
        else '滞后'
    end as status,
    case
        when target_kind is null or target_value_status = 'unknown' then '目标值未知'
        when target_kind = 'cagr_min' and baseline_value is null
            then '缺' || missing_for_final || '，无法计算年均增长率'
        when target_kind = 'rank_max' and current_value is null
            then coalesce(rank_missing_reason, '无可用数据')
        when current_value is null and target_kind not in ('trend_up', 'growth_at_least_other', 'annual_increase')
            then '无可用数据'
        when
            target_kind in ('trend_up', 'growth_at_least_other', 'annual_increase')
            and coalesce(changes_counted, growth_years_counted, 0) = 0
            then '不足两年数据'
        when data_end < period_start and current_value_source = 'data'
            then '规划期内尚无数据（最新数据早于规划期）'
        when is_closed and not is_final
            then '目标日期已过，缺' || missing_for_final || '，无法最终评价'
        when target_kind = 'absence' and not meets_target_now
            then '期内已发生' || cast(cast(current_value as integer) as string) || '起'
        when target_kind = 'annual_increase' and changes_up < changes_counted then '未递增年度：' || years_not_up
        when target_kind = 'rank_max' then rank_year || '年' || ranks_text
        when basis = 'each_year' and plan_years_failed > 0
            then
                '未达标年度：' || failed_plan_years
                || coalesce('；缺' || missing_plan_years || '数据', '')
        when pace_ratio is null and not is_final and target_kind <> 'absence' then '无法计算进度'
        when basis = 'window' and window_periods_with_value < window_periods
            then '期间有缺报期次（缺' || missing_for_final || '）'
        when basis in ('each_year', 'years') and plan_years_with_value < plan_years_due
            then '有年度数据缺失（缺' || missing_plan_years || '）'
    end as status_note,
    case
        when not is_final then null
        when target_kind in ('trend_up', 'growth_at_least_other', 'annual_increase')
            then case when pace_ratio = 1 then '完成' else '未完成' end
        when meets_target_now and comparator <> '<=' and current_value > target_value then '超额完成'
        when meets_target_now then '完成'
        else '未完成'
    end as final_verdict,
    -- The pace still required: per remaining year (levels, counts, sums), as the average the
    -- remaining plan years need (annual_average_min), or as a growth rate (cagr_min, levels).
    case
        when meets_target_now and target_kind in ('level_by_date', 'count_by_date', 'coverage_min', 'cumulative_min')
            then 0
        when
            target_kind in ('level_by_date', 'count_by_date', 'coverage_min', 'cumulative_min')
            and remaining_years > 0
            then cast({{ divide('(target_value - current_value)', 'remaining_years') }} as decimal(38, 6))
        when target_kind = 'annual_average_min' and plan_years > plan_years_due
            then cast(
                {{ divide('(target_value * plan_years - sum_of_years)', '(plan_years - plan_years_due)') }}
                as decimal(38, 6)
            )
        when basis = 'each_year' and plan_years > plan_years_due then target_value
    end as required_per_year,
    case
        when
            target_kind in ('level_by_date', 'count_by_date') and remaining_years > 0 and current_value > 0
            and not meets_target_now
            then cast(
                (power({{ divide('target_value', 'current_value') }}, 1 / remaining_years) - 1) * 100 as decimal(38, 6)
            )
        when
            target_kind = 'cagr_min' and latest_year_value > 0 and baseline_value > 0
            and last_plan_year > latest_year
            then cast((power(
                {{ divide(
                    "baseline_value * power(1 + " ~ divide('target_value', '100') ~ ", last_plan_year - year(baseline_date))",
                    'latest_year_value'
                ) }},
                {{ divide('1.0', '(last_plan_year - latest_year)') }}
            ) - 1) * 100 as decimal(38, 6))
    end as required_growth_pct,
    -- Average annual growth from the baseline to the latest value (Open SDG's current CAGR).
    case
        when baseline_value > 0 and latest_value > 0 and years_since_baseline > 0
            then cast(
                (power({{ divide('latest_value', 'baseline_value') }}, 1 / years_since_baseline) - 1) * 100
                as decimal(38, 6)
            )
    end as cagr_from_baseline_pct,
    -- The value at the target date if the current average growth continues.
    case
        when target_kind in ('level_by_date', 'count_by_date') and current_value_source = 'data'
            then cast(case
                when remaining_years = 0 then current_value
                when baseline_value > 0 and current_value > 0 and years_since_baseline > 0
                    then current_value * power(
                        {{ divide('current_value', 'baseline_value') }}, remaining_years / years_since_baseline
                    )
                when baseline_value is not null and years_since_baseline > 0
                    then
                        current_value
                        + {{ divide('(current_value - baseline_value)', 'years_since_baseline') }} * remaining_years
            end as decimal(38, 6))
        when target_kind = 'cumulative_min' and current_value_source = 'data' and elapsed_share > 0
            then cast({{ divide('current_value', 'least(elapsed_share, 1)') }} as decimal(38, 6))
        when target_kind = 'annual_average_min' then cast(current_value as decimal(38, 6))
        when target_kind = 'cagr_min' and latest_year_value is not null
            then
                cast(
                    latest_year_value * power(1 + {{ divide('current_value', '100') }}, last_plan_year - latest_year)
                    as decimal(38, 6)
                )
    end as projected_value,
    cast(average_of_years as decimal(38, 12)) as annual_average_value,
    plan_years,
    plan_years_due,
    plan_years_with_value,
    plan_years_failed,
    case when basis = 'each_year' then failed_plan_years end as failed_plan_years,
    missing_plan_years,
    -- A sum over the window means something only for kinds judged on it (not for levels or ratios).
    case when target_kind in ('cumulative_min', 'absence') then cast(window_sum as decimal(38, 12)) end
        as cumulative_value,
    window_periods,
    window_periods_with_value,
    coalesce(window_is_exact, false) and basis = 'window' as window_is_exact,
    changes_counted,
    changes_up,
    growth_years_counted,
    growth_years_met,
    cast(latest_growth_pct as decimal(38, 6)) as latest_growth_pct,
    cast(latest_other_growth_pct as decimal(38, 6)) as latest_compare_growth_pct,
    is_sample
from paced
