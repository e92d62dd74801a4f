"""From the sources' raw figures to the scorecard: each community's figures and score, the
aggregate figures of the scope, the ranking of communities (and of a district's streets)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.scorecards.collect import Collected
from gateway.scorecards.figures import Figure
from gateway.scorecards.measures import Evaluation
from gateway.scorecards.provider import Community
from gateway.scorecards.schemas import (
    FigureBrief,
    FigureRead,
    RankedCommunity,
    RankedStreet,
    ScopeRead,
    Scorecard,
)
from gateway.scorecards.scoring import (
    SCORE_FORMULA,
    community_score,
    mean_score,
    ranked,
    shown,
    weights,
)

Results = list[tuple[str, Figure, Evaluation]]  # (source, figure, evaluation)


@dataclass(frozen=True)
class CommunityCard:
    community: Community
    results: Results
    score: float | None


def _evaluate(collected: Collected, community: Community) -> Results:
    results: Results = []
    for provider, fetched in collected.answered:
        raw = fetched.rows.get(community.id)
        if raw is None:
            continue  # this source knows nothing of the community: its figures do not apply
        results.extend((provider.source, f, f.measure.evaluate(raw)) for f in provider.figures)
    return results


def _card(collected: Collected, community: Community) -> CommunityCard:
    results = _evaluate(collected, community)
    score = community_score([(f, e) for _, f, e in results])
    return CommunityCard(community, results, score)


def _figure_read(
    source: str, figure: Figure, evaluation: Evaluation, weight: float | None
) -> FigureRead:
    return FigureRead(
        rule=figure.rule,
        figure=figure.key,
        label_zh=figure.label_zh,
        label_en=figure.label_en,
        source=source,
        value=evaluation.value,
        target=evaluation.target,
        met=evaluation.met,
        scored=figure.scored,
        weight=None if weight is None else round(weight, 4),
        detail=evaluation.detail,
    )


def _aggregate(collected: Collected) -> list[FigureRead]:
    ids = [c.id for c in collected.tree.communities]
    figures: list[FigureRead] = []
    for provider, fetched in collected.answered:
        raws = [fetched.rows[i] for i in ids if i in fetched.rows]
        for figure in provider.figures:
            evaluation = figure.measure.aggregate(raws)
            figures.append(_figure_read(provider.source, figure, evaluation, None))
    return figures


def _ranked_communities(cards: Sequence[CommunityCard]) -> list[RankedCommunity]:
    entries: list[RankedCommunity] = []
    for rank, card in ranked(cards, lambda c: c.score, lambda c: c.community.code):
        scored = [e for _, f, e in card.results if f.scored and e.credit is not None]
        c = card.community
        entries.append(
            RankedCommunity(
                rank=rank,
                id=c.id,
                code=c.code,
                name=c.name,
                street_id=c.street_id,
                street_code=c.street_code,
                street_name=c.street_name,
                score=shown(card.score),
                figures_met=sum(bool(e.met) for e in scored),
                figures_scored=len(scored),
                figures={f.key: FigureBrief(value=e.value, met=e.met) for _, f, e in card.results},
            )
        )
    return entries


def _ranked_streets(cards: Sequence[CommunityCard]) -> list[RankedStreet]:
    by_street: dict[str, list[CommunityCard]] = defaultdict(list)
    for card in cards:
        by_street[card.community.street_id].append(card)
    streets = [
        RankedStreet(
            rank=0,  # set below
            id=street_id,
            code=members[0].community.street_code,
            name=members[0].community.street_name,
            score=shown(mean_score([m.score for m in members])),
            communities=len(members),
        )
        for street_id, members in by_street.items()
    ]
    return [
        street.model_copy(update={"rank": rank})
        for rank, street in ranked(streets, lambda s: s.score, lambda s: s.code)
    ]


def build_scorecard(collected: Collected) -> Scorecard:
    tree = collected.tree
    cards = [_card(collected, community) for community in tree.communities]
    if tree.kind == "community" and cards:
        (card,) = cards
        weight = weights([(f, e) for _, f, e in card.results])
        figures = [_figure_read(s, f, e, weight.get(f.key)) for s, f, e in card.results]
        score = card.score
    else:
        figures = _aggregate(collected)
        score = mean_score([c.score for c in cards])
    return Scorecard(
        scope=ScopeRead(kind=tree.kind, id=tree.id, code=tree.code, name=tree.name),
        as_of=tree.as_of,
        sources=collected.sources,
        score=shown(score),
        score_formula=SCORE_FORMULA,
        figures=figures,
        communities=_ranked_communities(cards),
        streets=_ranked_streets(cards) if tree.kind == "district" else None,
    )
