"""Subscribing (double opt-in without an account, at once from a profile), managing a digest and its saved
searches, and unsubscribing without logging in (RFC 8058 one-click)."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from papertide import emails
from papertide.accounts.models import RateBucket
from papertide.accounts.throttle import throttled

from . import tokens
from .compose import search_vector
from .delivery import link
from .forms import SavedSearchForm, SettingsForm, SubscribeForm
from .models import SavedSearch, Subscription

MAILS_PER_ADDRESS_PER_DAY = 3  # however many people ask, an address gets at most this many confirmations


def signed_link(purpose: str):
    """The view gets the subscription the link's token names; an expired or forged link gets a 400 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, token):
            try:
                subscription = tokens.read(token, purpose)
            except tokens.BadLink as exc:
                return render(request, "digests/bad_link.html", {"error": str(exc)}, status=400)
            return view(request, subscription)

        return wrapper

    return decorator


@require_http_methods(["GET", "POST"])
@throttled("subscribe")
def subscribe(request):
    if request.user.is_authenticated:
        return redirect("digest-mine")
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        subscription = Subscription.objects.filter(email=email).first()
        receiving = (
            subscription is not None and subscription.confirmed_at and subscription.state != "unsubscribed"
        )
        created = subscription is None
        if subscription is None:
            try:
                with transaction.atomic():
                    subscription = form.save()
            except IntegrityError:
                # The same address asked for in the same instant (a double click, two tabs): that request
                # made the subscription and sends the mail; this one answers as it will.
                return render(request, "digests/check_inbox.html", {"email": email})
        elif not receiving:  # asked again before confirming, or after unsubscribing: confirm anew
            subscription.resubscribe(**{name: form.cleaned_data[name] for name in SettingsForm.Meta.fields})
        bucket = f"digest-mail:{email}"
        if RateBucket.take(bucket, MAILS_PER_ADDRESS_PER_DAY, 86400):
            try:
                if receiving:  # someone asked for an address that already gets the digest: tell its owner
                    manage = link("digest-manage", subscription, "manage", request)
                    emails.send("digest-manage", email, {"manage": manage})
                else:
                    emails.send(
                        "digest-confirm",
                        email,
                        {
                            "link": link("digest-confirm", subscription, "confirm", request),
                            "subscription": subscription,
                        },
                    )
            except emails.MailNotSent:
                # Nothing half-done: a subscription made for this mail goes, the mail's token comes back.
                if created:
                    subscription.delete()
                RateBucket.give_back(bucket)
                return emails.not_sent_page(request)
        # The same answer whoever owns the address, so the page tells no one who is subscribed.
        return render(request, "digests/check_inbox.html", {"email": email})
    return render(request, "digests/subscribe.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@signed_link("confirm")
def confirm(request, subscription):
    """GET shows a button (mail scanners open links); POST confirms."""
    if request.method == "POST":
        subscription.confirm()
        return redirect("digest-manage", token=tokens.make(subscription, "manage"))
    return render(request, "digests/confirm.html", {"subscription": subscription})


@csrf_exempt  # the signed token is the authority; mail providers POST "List-Unsubscribe=One-Click" bare
@require_http_methods(["GET", "POST"])
@signed_link("unsubscribe")
def unsubscribe(request, subscription):
    """GET shows a confirm page, POST unsubscribes: from that page, or one-click from the mail client."""
    if request.method == "POST":
        subscription.unsubscribe()
        return render(request, "digests/unsubscribed.html", {"subscription": subscription})
    return render(request, "digests/unsubscribe.html", {"subscription": subscription})


@require_http_methods(["GET", "POST"])
@signed_link("manage")
def manage_by_link(request, subscription):
    return _manage(request, subscription, request.path)


@login_required
@require_http_methods(["GET", "POST"])
def mine(request):
    subscription = Subscription.objects.filter(user=request.user).first()
    if subscription is None:
        if not request.user.email:  # an account made without one (createsuperuser allows it)
            return render(
                request,
                "digests/manage.html",
                {"subscription": None, "no_email": True, "here": request.path},
                status=400 if request.method == "POST" else 200,
            )
        # The digest's settings are chosen as it starts (the browser's time zone proposed), as on the
        # subscription form of a visitor without an account.
        posted = request.method == "POST" and request.POST.get("action") == "subscribe"
        form = SettingsForm(request.POST if posted else None)
        if posted and form.is_valid():
            with transaction.atomic():
                subscription = Subscription.objects.subscribe_account(request.user)  # no second confirmation
                SettingsForm(request.POST, instance=subscription).save()
            return redirect("digest-mine")
        context = {"subscription": None, "here": request.path, "start_form": form}
        return render(request, "digests/manage.html", context, status=400 if form.errors else 200)
    return _manage(request, subscription, request.path)


def _manage(request, subscription: Subscription, here: str):
    settings_form = SettingsForm(instance=subscription)
    search_form = SavedSearchForm()
    status, error = 200, ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "settings":
            settings_form = SettingsForm(request.POST, instance=subscription)
            if settings_form.is_valid():
                settings_form.save()
                return redirect(here)
        elif action == "add":
            search_form = SavedSearchForm(request.POST)
            limit = settings.PAPERTIDE_DIGEST_MAX_SEARCHES
            if subscription.searches.count() >= limit:
                search_form.add_error(None, f"At most {limit} saved searches; remove one first.")
            elif search_form.is_valid():
                search = search_form.save(commit=False)
                search.subscription = subscription
                search.save()
                search_vector(search)
                return redirect(here)
        elif action in ("edit", "delete"):
            number = request.POST.get("search", "")
            if not number.isdigit():  # a tampered form
                raise Http404("no such saved search")
            search = get_object_or_404(SavedSearch, pk=int(number), subscription=subscription)
            if action == "delete":
                search.delete()
                return redirect(here)
            edited = SavedSearchForm(request.POST, instance=search)
            if edited.is_valid():
                search = edited.save(commit=False)
                search.vector = None  # the words changed: so does the meaning
                search.save()
                search_vector(search)
                return redirect(here)
            search_form = edited
        elif action == "resume":
            subscription.resume()
            return redirect(here)
        else:
            error = "That is not something this page can do."
        status = 400
    context = {
        "subscription": subscription,
        "settings_form": settings_form,
        "search_form": search_form,
        "searches": list(subscription.searches.all()),
        "digests": subscription.digests.order_by("-due_on")[:10],
        "unsubscribe": reverse("digest-unsubscribe", args=[tokens.make(subscription, "unsubscribe")]),
        "here": here,
        "error": error,
    }
    return render(request, "digests/manage.html", context, status=status)
